// The one global the usage files need, for a program with neither the DOM nor Node's
// types: the package's own types must compile without either.
declare const console: { log(...args: unknown[]): void };
