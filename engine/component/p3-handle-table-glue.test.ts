/**
 * The fix of jco's flat own-resource metadata (p3-handle-table-glue.ts): on glue shaped as jco
 * 0.15 writes it, what is rewritten, what is left alone, and what the rewritten closure does; then
 * on jco's real output for a componentize-qjs WASIp3 guest, that the bug is there and none of it
 * is left after the fix (so a jco upgrade that changes either shows up here).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, test } from 'node:test';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { ensureGuestsBuilt, zooGuestPath } from '../../assets/guests/build.ts';
import { fixOwnHandleTables } from './p3-handle-table-glue.ts';
import { TRANSPILE_OPTIONS } from './transpile-cache.ts';

/** Two components' tables for one imported resource, as jco declares them. */
const TABLES = `
    const handleTable18 = [T_FLAG, 0];
    handleTable18._createdReps = new Set();
    handleTable18._componentIdx = 3;
    const captureTable7= new Map();
    let captureCnt7= 0;
    HANDLE_TABLES[18] = handleTable18;
    const handleTable7 = [T_FLAG, 0];
    handleTable7._createdReps = new Set();
    handleTable7._componentIdx = 0;
    HANDLE_TABLES[7] = handleTable7;
`;

function lift(table: number, tableIdx = 18): string {
  return `
            ['some', _liftFlatOwn({
              componentIdx: 3,
              tableIdx: ${tableIdx},
              classNameFn: () => Fields,
              createResourceFn: 
              (handle) => {
                const rep = handleTable${table}[(handle << 1) + 1] & ~T_FLAG;
                let resourceObj = captureTable7.get(rep);
                if (!resourceObj) {
                  resourceObj = Object.create(Fields.prototype);
                  Object.defineProperty(resourceObj, symbolRscHandle, { writable: true, value: handle });
                  Object.defineProperty(resourceObj, symbolRscRep, { writable: true, value: rep });
                } else {
                  captureTable7.delete(rep);
                }
                rscTableRemove(handleTable${table}, handle);
                return resourceObj;
              }
              ,
            })
            , 4, 4, 1, ['i32'] ],`;
}

function lower(table: number): string {
  return `
            [ 'some', _lowerFlatOwn({
              componentIdx: 3,
              tableIdx: 18,
              lowerFn: 
              function lowerImportedOwnedHost_Fields(obj) {
                if (!(obj instanceof Fields)) {
                  throw new TypeError('Resource error: Not a valid \\"Fields\\" resource.');
                }
                let handle = obj[symbolRscHandle];
                if (!handle) {
                  const rep = obj[symbolRscRep] || ++captureCnt7;
                  captureTable7.set(rep, obj);
                  handle = rscTableCreateOwn(handleTable${table}, rep);
                }
                return handle;
              }
              ,
            }), 4, 4, 1],`;
}

/** A `future.new` trampoline of component 3 whose payload holds an `own<fields>`. */
function futureNew(liftTable: number, lowerTable: number): string {
  return `${TABLES}
    const trampoline39 = futureNew.bind(null, {
      componentIdx: 3,
      futureTableIdx: 2,
      elemMeta: {
        liftFn: _liftFlatOption({ caseMetas: [
            ['none', null, 0, 0, 0, [] ],${lift(liftTable)}
        ] }),
        lowerFn: _lowerFlatOption({ caseMetas: [
            [ 'none', null, 0, 0, 0 ],${lower(lowerTable)}
        ] }),
      },
    });
`;
}

test("a future's own<fields> lift and lower name the table of their tableIdx, not the outer component's", () => {
  const { glue, rewritten, unrecognized } = fixOwnHandleTables(futureNew(7, 7));
  assert.equal(glue, futureNew(18, 18));
  assert.equal(rewritten, 2);
  assert.deepEqual(unrecognized, []);
});

test('consistent glue is left as it is, and the fix is idempotent', () => {
  const right = futureNew(18, 18);
  assert.deepEqual(fixOwnHandleTables(right), { glue: right, rewritten: 0, unrecognized: [] });
  const once = fixOwnHandleTables(futureNew(7, 7)).glue;
  assert.equal(fixOwnHandleTables(once).glue, once);
});

test("a block of another shape, or whose table is not its component's, is left alone and reported", () => {
  // jco's closure for a resource the component defines (finalization registry, no capture table).
  const exported = `${TABLES}
      liftFn: _liftFlatOwn({
        componentIdx: 3,
        tableIdx: 18,
        classNameFn: () => Thing,
        createResourceFn: 
        (handle) => {
          const resourceObj = Object.create(Thing.prototype);
          finalizationRegistry7.register(resourceObj, handle, resourceObj);
          rscTableRemove(handleTable7, handle);
          return resourceObj;
        }
        ,
      }),`;
  assert.deepEqual(fixOwnHandleTables(exported), {
    glue: exported,
    rewritten: 0,
    unrecognized: [{ componentIdx: 3, tableIdx: 18, handleTables: [7] }],
  });
  // handleTable18 declared as component 0's: not the lifting component's table.
  const foreign = futureNew(7, 18).replace('handleTable18._componentIdx = 3;', 'handleTable18._componentIdx = 0;');
  assert.deepEqual(fixOwnHandleTables(foreign), {
    glue: foreign,
    rewritten: 0,
    unrecognized: [{ componentIdx: 3, tableIdx: 18, handleTables: [7] }],
  });
  // Not declared at all.
  const undeclared = futureNew(7, 18).replace('const handleTable18 = [T_FLAG, 0];', '');
  assert.equal(fixOwnHandleTables(undeclared).rewritten, 0);
});

/**
 * Runs a lift closure against the guest's table holding the handle of a `fields` the host made
 * (what `[constructor]fields` leaves behind): the host must get that very object back, and the
 * guest's handle must be freed.
 */
function liftGuestHandle(liftBlock: string): { lifted: unknown; made: object; guestTableAfter: unknown[] } {
  const run = new Function(`
    const T_FLAG = 1 << 30;
    const symbolRscHandle = Symbol('handle');
    const symbolRscRep = Symbol('rep');
    class Fields {}
    const HANDLE_TABLES = [];
    function rscTableCreateOwn(table, rep) {
      table.push(0, rep | T_FLAG);
      return (table.length >> 1) - 1;
    }
    function rscTableRemove(table, handle) {
      const val = table[(handle << 1) + 1];
      table[(handle << 1) + 1] = 0;
      return { rep: val & ~T_FLAG };
    }
    ${TABLES}
    // The guest made a fields: the host object is captured, the guest holds a handle to it.
    const made = new Fields();
    captureTable7.set(1, made);
    const handle = rscTableCreateOwn(handleTable18, 1);
    const _liftFlatOwn = (meta) => meta;
    const [, block] = [${liftBlock}][0];
    return { lifted: block.createResourceFn(handle), made, guestTableAfter: handleTable18.slice() };
  `) as () => { lifted: unknown; made: object; guestTableAfter: unknown[] };
  return run();
}

test("the rewritten lift hands the host the guest-made object and frees the guest's handle; jco's gives a stand-in", () => {
  const broken = liftGuestHandle(lift(7));
  assert.notEqual(broken.lifted, broken.made, 'jco 0.15: an empty stand-in');
  assert.equal(broken.guestTableAfter[3], 1 | (1 << 30), "and the guest's handle is never released");

  const fixedBlock = fixOwnHandleTables(`${TABLES}${lift(7)}`).glue.slice(TABLES.length);
  const fixed = liftGuestHandle(fixedBlock);
  assert.equal(fixed.lifted, fixed.made);
  assert.equal(fixed.guestTableAfter[3], 0);
});

before(async () => {
  await ensureGuestsBuilt();
});

test("jco 0.15's glue for a componentize-qjs WASIp3 guest has the bug, and none of it is left after the fix", async () => {
  const bytes = await readFile(zooGuestPath('zoo-qjs-p3-headers'));
  const result = await transpileBytes(bytes, TRANSPILE_OPTIONS);
  const glue = new TextDecoder().decode(result.files['guest.js']);
  // The trailers future's element (result<option<fields>, error-code>): lifted from the outer
  // component's table, though its metadata names the guest's.
  const trailersFuture =
    /futureNew\.bind\(null, \{\s*componentIdx: 3,\s*futureTableIdx: 2,[\s\S]*?_liftFlatOwn\(\{\s*componentIdx: 3,\s*tableIdx: (\d+),[\s\S]*?const rep = handleTable(\d+)\[/;
  const [, tableIdx, liftedFrom] = trailersFuture.exec(glue) ?? [];
  assert.ok(tableIdx !== undefined && liftedFrom !== undefined);
  assert.notEqual(liftedFrom, tableIdx, 'jco lifts from the right table now: the fix-up may no longer be needed');

  const { glue: fixed, rewritten, unrecognized } = fixOwnHandleTables(glue);
  assert.ok(rewritten > 0);
  assert.deepEqual(unrecognized, []);
  assert.equal(trailersFuture.exec(fixed)?.[2], tableIdx);
  assert.deepEqual(
    fixOwnHandleTables(fixed),
    { glue: fixed, rewritten: 0, unrecognized: [] },
    'every block consistent after the fix',
  );
});
