;; trap-after-head: sets a 200 response, writes `partial body` and flushes it (so the head and
;; those bytes are on their way to the client), then executes `unreachable`. The client must
;; see a truncated response, and the log must say the guest trapped after the head was sent.
;;
;; Same response protocol as hello.wat (see there), minus the finish it never reaches.
(module
  (import "wasi:http/types@0.2.12" "[constructor]fields" (func $fields.new (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-response"
    (func $response.new (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.body"
    (func $response.body (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]response-outparam.set"
    (func $outparam.set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-body.write" (func $body.write (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $request.drop (param i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $stream.write (param i32 i32 i32 i32)))

  ;; Layout: 64..128 return area, 256.. constant data, 4096.. bump heap.
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 256) "partial body\n")

  ;; Bump allocator, reset on every request (see hello.wat).
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32)
    (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.shl (memory.size) (i32.const 16))) (then unreachable))
    (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
    (local.get $p))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (local $resp i32) (local $body i32) (local $stream i32)
    (global.set $heap (i32.const 4096))
    (call $request.drop (local.get $req))
    (local.set $resp (call $response.new (call $fields.new)))
    (call $response.body (local.get $resp) (global.get $RET))
    (local.set $body (i32.load offset=4 (global.get $RET)))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.write (local.get $body) (global.get $RET))
    (local.set $stream (i32.load offset=4 (global.get $RET)))
    (call $stream.write (local.get $stream) (i32.const 256) (i32.const 13) (global.get $RET))
    unreachable)
)
