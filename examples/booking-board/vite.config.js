// The app needs no Vite settings for converge-crdt: its default entry carries the
// wasm inline. That makes one ~950 kB chunk (~335 kB gzipped), over Vite's 500 kB
// warning; apps that want the .wasm as its own file can use 'converge-crdt/slim'.
export default {
  build: { chunkSizeWarningLimit: 1200 },
};
