;; hello: answers every request with 200 and the body `Hello, WASI!`.
;;
;; The smallest complete wasi:http handler, and the template the other guests copy from.
;; The protocol, in order: build an outgoing-response, take its body *before* handing the
;; response to response-outparam.set (after set the handle belongs to the host), write through
;; the body's output-stream, drop the stream (a child resource: it must go before its parent),
;; then outgoing-body.finish.
;;
;; Canonical ABI reminders: results that do not fit in one core value (result<T>, option<string>,
;; list<u8>, ...) come back through a return pointer (the last i32 param; here always $RET);
;; result<outgoing-response, error-code> flattens to 8 values after the outparam handle.
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

  ;; Layout: 64..128 return area, 256.. constant data, 4096.. bump heap.
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 256) "Hello, WASI!")

  ;; Bump allocator for the host's lists/strings (e.g. an error-code from finish). The heap is
  ;; reset on every request, so it never grows past one request's worth of data.
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

  ;; 200 with an empty header set and the body at [ptr, ptr+len) (at most 4096 bytes: the
  ;; blocking-write-and-flush limit).
  (func $respond (param $out i32) (param $ptr i32) (param $len i32)
    (local $resp i32) (local $body i32) (local $stream i32)
    (local.set $resp (call $response.new (call $fields.new)))
    (call $response.body (local.get $resp) (global.get $RET))      ;; result<outgoing-body>
    (local.set $body (i32.load offset=4 (global.get $RET)))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp) ;; ok(response)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.write (local.get $body) (global.get $RET))          ;; result<output-stream>
    (local.set $stream (i32.load offset=4 (global.get $RET)))
    (call $stream.write (local.get $stream) (local.get $ptr) (local.get $len) (global.get $RET))
    (call $stream.drop (local.get $stream))
    (call $body.finish (local.get $body) (i32.const 0) (i32.const 0) (global.get $RET))) ;; no trailers

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (global.set $heap (i32.const 4096))
    (call $request.drop (local.get $req))
    (call $respond (local.get $out) (i32.const 256) (i32.const 12)))
)
