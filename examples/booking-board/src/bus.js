// The transport: one BroadcastChannel per replica, shared by every replica of every
// tab of this origin (a channel object never hears its own posts, so two replicas in
// one tab talk exactly as replicas in two tabs do). Messages:
//   { kind: 'here', from, label }        presence, every second while online
//   { kind: 'sync', from, to, bytes }    a converge sync message (messageFor/receive/hello)
// converge's messages are idempotent and any order is safe, so the bus needs no
// acknowledgements or ordering of its own.

const CHANNEL = 'converge-booking-board';

/** A replica's end of the bus: `send(message)`, and `onMessage` called with each one. */
export function joinBus(onMessage) {
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (event) => onMessage(event.data);
  return {
    send: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
}
