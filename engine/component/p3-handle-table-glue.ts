/**
 * A fix-up of the glue jco-transpile (0.15) generates for a component made of several inner
 * components, such as componentize-qjs's WASIp3 guests (the guest's code runs in inner instance
 * 3; instance 0 is the outer one).
 *
 * The canonical-ABI "flat" metadata jco writes for the async machinery (the element type of every
 * `future.new` / `stream.new`, and the parameter and result types of lowered imports, used when an
 * async call returns) lifts and lowers an imported resource (`own<fields>`) through
 * `handleTable{tid}`, where `tid` comes from jco's one resource map for the whole world, built
 * from the *outer* component's import types (`process_imports` → `connect_host_resource` in
 * crates/js-component-bindgen/src/transpile_bindgen.rs; used by `gen_flat_lift_fn_js_expr` and
 * `gen_flat_lower_fn_js_expr` for `InterfaceType::Own`). That is instance 0's table for the
 * resource, not the table of the instance that lifts or lowers: the `tableIdx` written beside it
 * in the same metadata (the `TypeResourceTableIndex` of the `own` type). The glue of each
 * function's own trampoline uses a per-function map and so the right table. With one component
 * the two are the same table; with several, a `fields` the guest made and wrote into its
 * response's trailers future is looked up in instance 0's (empty) `handleTable7` instead of the
 * guest's `handleTable18`, misses the capture table, and reaches the host as an empty stand-in
 * (and the guest's handle and the host object are never released).
 *
 * This rewrites, in each such metadata block whose closure is exactly jco's imported-resource
 * shape, the handle table to the block's own `tableIdx`, after checking that that table exists
 * and belongs to the block's component. Blocks already consistent are left alone; a block of any
 * other shape that names another table is left alone too and counted as `unrecognized` (the tests
 * check that none remain in a real guest's glue).
 */

export interface OwnHandleTableReport {
  glue: string;
  /** Blocks whose handle table was changed to their `tableIdx`. */
  rewritten: number;
  /** Blocks that name a handle table other than their `tableIdx` in a shape not rewritten. */
  unrecognized: Array<{ componentIdx: number; tableIdx: number; handleTables: number[] }>;
}

/**
 * One `_liftFlatOwn({…})` / `_lowerFlatOwn({…})` metadata block: its component, its table, and
 * the rest of the object up to the `})` closing it (a line that starts with it, not `});`).
 */
const FLAT_OWN_BLOCK =
  /(_(?:lift|lower)FlatOwn\(\{\s*componentIdx: (\d+),\s*tableIdx: (\d+),)(\n[\s\S]*?)(\n[ \t]*\}\)(?!;))/g;

/**
 * jco's imported-resource closures, as it writes them (`Instruction::HandleLift`-style
 * `createResourceFn`, and `lowerImportedOwnedHost_*`). `{name}` matches an identifier, `{n}` a
 * number; a placeholder seen again must match the same text. Whitespace is free.
 */
const LIFT_IMPORTED = template(`
  classNameFn: () => {class},
  createResourceFn:
  (handle) => {
    const rep = handleTable{table:n}[(handle << 1) + 1] & ~{flag};
    let resourceObj = captureTable{rid:n}.get(rep);
    if (!resourceObj) {
      resourceObj = Object.create({class}.prototype);
      Object.defineProperty(resourceObj, {handleSymbol}, { writable: true, value: handle });
      Object.defineProperty(resourceObj, {repSymbol}, { writable: true, value: rep });
    } else {
      captureTable{rid:n}.delete(rep);
    }
    {remove}(handleTable{table:n}, handle);
    return resourceObj;
  }
  ,
`);

const LOWER_IMPORTED = template(`
  lowerFn:
  function lowerImportedOwnedHost_{class}(obj) {
    if (!(obj instanceof {class})) {
      throw new TypeError('Resource error: Not a valid \\"{class}\\" resource.');
    }
    let handle = obj[{handleSymbol}];
    if (!handle) {
      const rep = obj[{repSymbol}] || ++captureCnt{rid:n};
      captureTable{rid:n}.set(rep, obj);
      handle = {createOwn}(handleTable{table:n}, rep);
    }
    return handle;
  }
  ,
`);

export function fixOwnHandleTables(glue: string): OwnHandleTableReport {
  let rewritten = 0;
  const unrecognized: OwnHandleTableReport['unrecognized'] = [];
  const fixed = glue.replace(
    FLAT_OWN_BLOCK,
    (block, head: string, component: string, table: string, body: string, tail: string) => {
      const named = [...new Set([...body.matchAll(/\bhandleTable(\d+)\b/g)].map((m) => Number(m[1])))];
      if (named.every((t) => t === Number(table))) return block;
      const shape = LIFT_IMPORTED.exec(body) ?? LOWER_IMPORTED.exec(body);
      if (shape === null || named.length !== 1 || !declaresTable(glue, table, component)) {
        unrecognized.push({ componentIdx: Number(component), tableIdx: Number(table), handleTables: named });
        return block;
      }
      rewritten++;
      // biome-ignore lint/style/noNonNullAssertion: both templates have a {table} placeholder, so a match has that group
      const lifted = shape.groups!.table;
      return head + body.replace(new RegExp(`\\bhandleTable${lifted}\\b`, 'g'), `handleTable${table}`) + tail;
    },
  );
  return { glue: fixed, rewritten, unrecognized };
}

/** The glue declares `handleTable{table}` as a table of component `component`. */
function declaresTable(glue: string, table: string, component: string): boolean {
  return (
    glue.includes(`const handleTable${table} = [`) && glue.includes(`handleTable${table}._componentIdx = ${component};`)
  );
}

/** A whole-string regex for `text`, see LIFT_IMPORTED. */
function template(text: string): RegExp {
  const seen = new Set<string>();
  let source = '';
  // Tokens: a placeholder, a run of whitespace, or one other character.
  for (const [token, name, kind] of text.trim().matchAll(/\{(\w+)(?::(n))?\}|\s+|[\s\S]/g)) {
    if (name !== undefined) {
      source += seen.has(name) ? `\\k<${name}>` : `(?<${name}>${kind === 'n' ? '\\d+' : '[\\w$]+'})`;
      seen.add(name);
    } else if (/^\s+$/.test(token)) {
      source += '\\s*';
    } else {
      source += token.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  // Identifiers stay apart: `\s*` between two word characters must be at least one space.
  source = source.replace(/(?<=[\w$])\\s\*(?=[\w$])/g, '\\s+');
  return new RegExp(`^\\s*${source}\\s*$`);
}
