// A fake relay for the relay client's tests: a manual clock, fake WebSocket classes
// the test drives from the server's side, and a pump that lets an in-process hub
// replica answer every frame a client sent (relay-client and relay-nodes tests).

import assert from 'node:assert/strict';

/** A manual clock: timers fire only when the test says so. */
export function manualClock() {
  const clock = {
    now: 0,
    timers: [],
    setTimer: (fn, ms) => {
      const timer = { fn, at: clock.now + ms, ms };
      clock.timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      clock.timers = clock.timers.filter((t) => t !== timer);
    },
    /** Runs the next timer; returns its delay. */
    fire() {
      assert.ok(clock.timers.length > 0, 'a timer is due');
      clock.timers.sort((a, b) => a.at - b.at);
      const timer = clock.timers.shift();
      clock.now = timer.at;
      timer.fn();
      return timer.ms;
    },
  };
  return clock;
}

/** A fake WebSocket the test drives from the server's side. */
export function fakeSockets() {
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.closed = null;
      sockets.push(this);
    }
    send(bytes) {
      this.sent.push(bytes);
    }
    close(code) {
      this.closed = code;
    }
    serverOpen() {
      this.onopen?.({});
    }
    serverSend(bytes) {
      this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    }
    serverClose(code) {
      this.onclose?.({ code });
    }
  }
  return { FakeSocket, sockets };
}

/** Plays the relay's part: a hub replica with the relay's id answering every frame. */
export function pump(socket, hub) {
  let moved = true;
  while (moved) {
    moved = false;
    const frames = socket.sent.splice(0);
    for (const frame of frames) {
      moved = true;
      const reply = hub.receive(frame).reply;
      if (reply) socket.serverSend(reply);
    }
  }
}
