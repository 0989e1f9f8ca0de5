// npm here serves only anvil's linux-amd64 binary package, so `npm install` writes a lock without the other
// platforms' optional entries, and `npm ci` on any other machine then rejects the lock as out of sync.
// This puts those entries back, as a lock made elsewhere would have them. Usage: node build/lock-anvil-platforms.mjs DIR
import fs from 'node:fs';
import path from 'node:path';

const platforms = {
  'darwin-amd64': { os: ['darwin'], cpu: ['x64'] },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'linux-amd64': { os: ['linux'], cpu: ['x64'] },
  'linux-arm64': { os: ['linux'], cpu: ['arm64'] },
  'win32-amd64': { os: ['win32'], cpu: ['x64'] },
};
const lockPath = path.join(process.argv[2] ?? '.', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const anvil = lock.packages['node_modules/@foundry-rs/anvil'];
if (!anvil) process.exit(0);
for (const [platform, { os, cpu }] of Object.entries(platforms)) {
  const key = `node_modules/@foundry-rs/anvil-${platform}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = {
    version: anvil.version, cpu, license: anvil.license, optional: true, os,
    bin: { anvil: platform.startsWith('win32') ? 'bin/anvil.exe' : 'bin/anvil' },
    engines: { node: '>=20' },
  };
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b)));
fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
