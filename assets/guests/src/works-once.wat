;; works-once: answers 200 `works once` on the first request an instance handles, and executes
;; `unreachable` on every later request to the same instance. A fresh instance always works, a
;; reused one always fails: the plainest leak there is (state from request 1 breaks request 2),
;; which the leak detector reports as "failed on reuse".
;;
;; Same response protocol as hello.wat (see there).
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

  ;; Layout: 64..128 return area, 256.. the body, 4096.. bump heap.
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  ;; Set by the first request: the state every later request trips over.
  (global $served (mut i32) (i32.const 0))
  (data (i32.const 256) "works once")

  ;; Bump allocator for the host's lists/strings (see hello.wat).
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

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (local $resp i32) (local $body i32) (local $stream i32)
    (if (global.get $served) (then unreachable))
    (global.set $served (i32.const 1))
    (call $request.drop (local.get $req))
    (local.set $resp (call $response.new (call $fields.new)))
    (call $response.body (local.get $resp) (global.get $RET))
    (local.set $body (i32.load offset=4 (global.get $RET)))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.write (local.get $body) (global.get $RET))
    (local.set $stream (i32.load offset=4 (global.get $RET)))
    (call $stream.write (local.get $stream) (i32.const 256) (i32.const 10) (global.get $RET))
    (call $stream.drop (local.get $stream))
    (call $body.finish (local.get $body) (i32.const 0) (i32.const 0) (global.get $RET)))
)
