;; memory-bomb: every request grows linear memory toward 4 GiB and writes to every new 4 KiB
;; page (so the growth is resident, as a real leak's is), then answers 200 `pages=N`, N = the
;; memory size afterwards. Steps start at 16384 pages (1 GiB) and shrink fourfold whenever
;; `memory.grow` returns -1, down to one page, so N ends exactly at the limit in force
;; (`-W max-memory-size`), or at 65536 (4 GiB) with none. A later request on the same instance
;; finds every grow refused and answers the same N: the instance lives on.
;;
;; Same response protocol as hello.wat (see there); decimal formatting as in counter.wat.
(module
  (import "wasi:http/types@0.2.12" "[constructor]fields" (func $fields.new (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-response"
    (func $response.new (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.body"
    (func $response.body (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]response-outparam.set"
    (func $outparam.set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-body.write" (func $body.write (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]outgoing-body.finish"
    (func $body.finish (param i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $request.drop (param i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $stream.write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $stream.drop (param i32)))

  ;; Layout: 64..128 return area, 128..148 digit scratch, 256.. constants, 512.. body buffer,
  ;; 4096.. bump heap (all in page 0; grown pages only ever get one byte per 4 KiB written).
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 256) "pages=")

  ;; Bump allocator, reset on every request (see hello.wat).
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32)
    (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.shl (memory.size) (i32.const 16)))
      (then (if (i32.eq (memory.grow (i32.shr_u (i32.sub (i32.add (global.get $heap) (i32.const 65535))
                                                         (i32.shl (memory.size) (i32.const 16)))
                                                (i32.const 16)))
                        (i32.const -1))
              (then unreachable))))
    (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
    (local.get $p))

  ;; Writes a byte to every 4 KiB of pages [$first, $end): page-index arithmetic, so the last
  ;; page of a 4 GiB memory (whose end address does not fit an i32) is reached too.
  (func $touch (param $first i32) (param $end i32)
    (local $page i32) (local $off i32)
    (local.set $page (local.get $first))
    (block $done
      (loop $pages
        (br_if $done (i32.ge_u (local.get $page) (local.get $end)))
        (local.set $off (i32.const 0))
        (loop $bytes
          (i32.store8 (i32.add (i32.shl (local.get $page) (i32.const 16)) (local.get $off)) (i32.const 1))
          (local.set $off (i32.add (local.get $off) (i32.const 4096)))
          (br_if $bytes (i32.lt_u (local.get $off) (i32.const 65536))))
        (local.set $page (i32.add (local.get $page) (i32.const 1)))
        (br $pages))))

  ;; Grows in steps of 16384, 4096, …, 1 pages, each step repeated until refused.
  (func $bomb
    (local $step i32) (local $old i32)
    (local.set $step (i32.const 16384))
    (loop $grow
      (local.set $old (memory.grow (local.get $step)))
      (if (i32.eq (local.get $old) (i32.const -1))
        (then (local.set $step (i32.shr_u (local.get $step) (i32.const 2))))
        (else (call $touch (local.get $old) (i32.add (local.get $old) (local.get $step)))))
      (br_if $grow (local.get $step))))

  ;; Writes $n in decimal at $dst; returns the number of bytes (see counter.wat).
  (func $fmt_u64 (param $n i64) (param $dst i32) (result i32)
    (local $p i32)
    (local.set $p (i32.const 148))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $n) (i64.const 10)))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $n) (i64.const 0))))
    (memory.copy (local.get $dst) (local.get $p) (i32.sub (i32.const 148) (local.get $p)))
    (i32.sub (i32.const 148) (local.get $p)))

  ;; 200, no headers, body [ptr, ptr+len) (≤ 4096 bytes). See hello.wat for the protocol.
  (func $respond (param $out i32) (param $ptr i32) (param $len i32)
    (local $resp i32) (local $body i32) (local $stream i32)
    (local.set $resp (call $response.new (call $fields.new)))
    (call $response.body (local.get $resp) (global.get $RET))
    (local.set $body (i32.load offset=4 (global.get $RET)))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.write (local.get $body) (global.get $RET))
    (local.set $stream (i32.load offset=4 (global.get $RET)))
    (call $stream.write (local.get $stream) (local.get $ptr) (local.get $len) (global.get $RET))
    (call $stream.drop (local.get $stream))
    (call $body.finish (local.get $body) (i32.const 0) (i32.const 0) (global.get $RET)))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (global.set $heap (i32.const 4096))
    (call $request.drop (local.get $req))
    (call $bomb)
    ;; body = "pages=" ++ decimal(memory.size), built at 512
    (memory.copy (i32.const 512) (i32.const 256) (i32.const 6))
    (call $respond (local.get $out) (i32.const 512)
      (i32.add (i32.const 6) (call $fmt_u64 (i64.extend_i32_u (memory.size)) (i32.const 518)))))
)
