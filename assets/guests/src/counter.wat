;; counter: answers 200 with `count=N`, N = how many requests *this instance* has handled
;; (1 on its first). The count lives in a module global, so it shows instance reuse: a fresh
;; instance per request always says count=1, a pooled instance counts up.
;;
;; `/trap` traps instead (after counting), to show that a trap kills only its own instance.
;;
;; Same response protocol as hello.wat (see there); adds u64 → decimal formatting.
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
  ;; option<string> comes back through the return pointer: disc u8 @0, ptr @4, len @8
  (import "wasi:http/types@0.2.12" "[method]incoming-request.path-with-query"
    (func $request.path (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $request.drop (param i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $stream.write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $stream.drop (param i32)))

  ;; Layout: 64..128 return area, 128..148 digit scratch, 256.. constants, 512.. body buffer,
  ;; 4096.. bump heap.
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  (global $count (mut i64) (i64.const 0))
  (data (i32.const 256) "count=")
  (data (i32.const 272) "/trap")

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

  ;; Writes $n in decimal at $dst; returns the number of bytes. Digits are produced backwards
  ;; into the scratch area (u64 max has 20 digits), then copied.
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

;; Is the path-with-query just read into the return area `/trap...`?
  (func $is_trap_path (result i32)
    (local $ptr i32) (local $i i32)
    (if (i32.eqz (i32.load8_u (global.get $RET))) (then (return (i32.const 0))))
    (if (i32.lt_u (i32.load offset=8 (global.get $RET)) (i32.const 5)) (then (return (i32.const 0))))
    (local.set $ptr (i32.load offset=4 (global.get $RET)))
    (loop $next
      (if (i32.ne (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))
                  (i32.load8_u (i32.add (i32.const 272) (local.get $i))))
        (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 5))))
    (i32.const 1))

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
    (global.set $count (i64.add (global.get $count) (i64.const 1)))
    (call $request.path (local.get $req) (global.get $RET))
    (if (call $is_trap_path) (then unreachable))
    (call $request.drop (local.get $req))
    ;; body = "count=" ++ decimal(count), built at 512
    (memory.copy (i32.const 512) (i32.const 256) (i32.const 6))
    (call $respond (local.get $out) (i32.const 512)
      (i32.add (i32.const 6) (call $fmt_u64 (global.get $count) (i32.const 518)))))
)
