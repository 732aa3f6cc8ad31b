// Packages the Synthetics handler for terraform/envs/aws: synthetics.ts, journey.ts and otp.ts
// transpiled to ES modules (index.mjs, journey.mjs, otp.mjs), with the one package they need that
// the runtime lacks (otpauth's single-file Node build, and its licence), in a zip whose bytes
// depend on the sources only (fixed timestamps, fixed order), so the committed zip can be checked
// against the sources.
//
//   node --import tsx canary/package.ts          # writes terraform/envs/aws/canary/shop-canary.zip
//   node --import tsx canary/package.ts --check  # exit 1 when the committed zip is not current
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

import ts from "typescript";

export const ZIP = join(import.meta.dirname, "..", "..", "..", "terraform", "envs", "aws", "canary", "shop-canary.zip");

function transpile(file: string): string {
  const source = readFileSync(join(import.meta.dirname, file), "utf8");
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: false },
    fileName: file,
  }).outputText;
  // The runtime's Node resolves ES module imports by their full file name; otpauth is a file of
  // the package (no node_modules in it).
  return out.replace(/from "\.\/(journey|otp)"/g, 'from "./$1.mjs"').replace(/from "otpauth"/g, 'from "./otpauth.mjs"');
}

/** otpauth's Node build (it imports node:crypto only) and its licence, from the pinned package. */
function otpauth(file: string): string {
  return readFileSync(join(import.meta.dirname, "..", "node_modules", "otpauth", file), "utf8");
}

/** A zip of `files` (name → content), deflated, every entry dated 1980-01-01 00:00. */
function zip(files: [string, string][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of files) {
    const data = Buffer.from(text, "utf8");
    const packed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The package as it should be, from the sources. */
export function canaryPackage(): Buffer {
  return zip([
    ["index.mjs", transpile("synthetics.ts")],
    ["journey.mjs", transpile("journey.ts")],
    ["otp.mjs", transpile("otp.ts")],
    ["otpauth.mjs", otpauth("dist/otpauth.node.mjs")],
    ["otpauth.LICENSE.md", otpauth("LICENSE.md")],
  ]);
}

/** Whether the committed zip is what the sources make. */
export function packageIsCurrent(): boolean {
  try {
    return readFileSync(ZIP).equals(canaryPackage());
  } catch {
    return false;
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  if (process.argv.includes("--check")) {
    if (!packageIsCurrent()) {
      console.error(`canary: ${ZIP} is not what canary/synthetics.ts, journey.ts and otp.ts make; run: node --import tsx canary/package.ts`);
      process.exitCode = 1;
    }
  } else {
    mkdirSync(dirname(ZIP), { recursive: true });
    writeFileSync(ZIP, canaryPackage());
    console.log(`canary: wrote ${ZIP}`);
  }
}
