import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';

/**
 * Components that are wrong on purpose, built in-process from inline WIT and WAT (milliseconds):
 * one of the wrong world, one importing an interface no host provides. The fake
 * `wasi:http@0.2.12` package below only needs the export's *name* to be right.
 */
const WIT = `
package poolscope:test;
interface greeter { greet: func() -> u32; }
interface unknown { ping: func() -> u32; }
world wrong-world { export greeter; }
world needs-unknown { import unknown; export wasi:http/incoming-handler@0.2.12; }
package wasi:http@0.2.12 { interface incoming-handler { handle: func() -> u32; } }
`;

async function build(world: string, wat: string): Promise<Uint8Array> {
  return componentNew(await componentEmbed({ binary: await parse(wat), witSource: WIT, world }));
}

export async function writeBadInputs(): Promise<
  Record<'notWasm' | 'coreModule' | 'wrongWorld' | 'unknownImport' | 'directory', string>
> {
  const dir = await mkdtemp(join(tmpdir(), 'poolscope-bad-'));
  const paths = {
    notWasm: join(dir, 'notes.wasm'),
    coreModule: join(dir, 'core.wasm'),
    wrongWorld: join(dir, 'wrong-world.wasm'),
    unknownImport: join(dir, 'unknown-import.wasm'),
    directory: dir,
  };
  await writeFile(paths.notWasm, 'this is a text file, not wasm\n');
  await writeFile(paths.coreModule, await parse('(module (func (export "run")))'));
  await writeFile(
    paths.wrongWorld,
    await build('wrong-world', '(module (func (export "poolscope:test/greeter#greet") (result i32) i32.const 7))'),
  );
  await writeFile(
    paths.unknownImport,
    await build(
      'needs-unknown',
      '(module (import "poolscope:test/unknown" "ping" (func $ping (result i32))) (func (export "wasi:http/incoming-handler@0.2.12#handle") (result i32) call $ping))',
    ),
  );
  return paths;
}
