// Compacts wasm-bindgen's JavaScript glue in place: each line's leading indentation
// and the lines that are only a `//` comment go (about 530 B of gzip per entry). Safe
// for this glue: no string or template literal in it spans lines (checked here), so
// no line starts inside one; a line keeps its code and its line break, so automatic
// semicolon insertion reads it as before.
import { readFileSync, writeFileSync } from 'node:fs';

for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  for (const [at, line] of lines.entries()) {
    // An odd number of backticks on a line that is not a comment would open a
    // template literal that spans lines: stop rather than change its text.
    const code = line.trimStart();
    if (!code.startsWith('//') && (code.match(/`/g) ?? []).length % 2 === 1) {
      throw new Error(`${file}:${at + 1}: a template literal spans lines; compact-glue.mjs cannot compact this glue`);
    }
  }
  const kept = lines.map((line) => line.trimStart()).filter((line) => line !== '' && !line.startsWith('//'));
  writeFileSync(file, `${kept.join('\n')}\n`);
}
