// Drops from package-lock.json the optional dependencies that have no entry
// in it. npm install leaves them out when the registry cannot serve them
// (the registry mirror CI uses lacks most platform builds of the native
// msgpackr-extract and cbor-extract accelerators), and npm ci then refuses
// the lockfile as out of sync. They are optional: msgpackr and cbor-x fall
// back to plain JavaScript.
//
// Regenerate the lockfile with:
//   cd interop && npm install --package-lock-only && node js/prune-lock.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;
for (const [key, entry] of Object.entries(pkgs)) {
  const opt = entry.optionalDependencies;
  if (!opt) {
    continue;
  }
  for (const name of Object.keys(opt)) {
    if (!(`${key}/node_modules/${name}` in pkgs) && !(`node_modules/${name}` in pkgs)) {
      console.log(`prune-lock: ${key}: dropping optional ${name}`);
      delete opt[name];
    }
  }
  if (Object.keys(opt).length === 0) {
    delete entry.optionalDependencies;
  }
}
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
