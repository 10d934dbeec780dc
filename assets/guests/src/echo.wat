;; echo: answers 200 with the request body as the response body, plus two response headers:
;; `x-method` (the method name) and `x-path` (the path-with-query). The body is streamed, not
;; buffered: the response is set first, then each chunk read from the request (at most 4096
;; bytes, the blocking-write-and-flush limit) is written straight back until the request body
;; stream reports closed. Request headers are not echoed.
;;
;; Same response protocol as hello.wat (see there), with headers built by fields.from-list.
(module
  (import "wasi:http/types@0.2.12" "[constructor]fields" (func $fields.new (result i32)))
  ;; list<tuple<string, list<u8>>> in, result<fields, header-error> out (disc @0, handle @4)
  (import "wasi:http/types@0.2.12" "[static]fields.from-list"
    (func $fields.from-list (param i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-response"
    (func $response.new (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.body"
    (func $response.body (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]response-outparam.set"
    (func $outparam.set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-body.write" (func $body.write (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]outgoing-body.finish"
    (func $body.finish (param i32 i32 i32 i32)))
  ;; variant method: disc u8 @0 (get=0 … patch=8, other=9), other's string ptr @4, len @8
  (import "wasi:http/types@0.2.12" "[method]incoming-request.method"
    (func $request.method (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-request.path-with-query"
    (func $request.path (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-request.consume"
    (func $request.consume (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $request.drop (param i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-body.stream" (func $ibody.stream (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-body" (func $ibody.drop (param i32)))
  ;; result<list<u8>, stream-error>: disc u8 @0, list ptr @4, len @8
  (import "wasi:io/streams@0.2.12" "[method]input-stream.blocking-read"
    (func $istream.read (param i32 i64 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]input-stream" (func $istream.drop (param i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $stream.write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $stream.drop (param i32)))

  ;; Layout: 64..128 return area, 128..160 the header list (2 × {name ptr, len, value ptr, len}),
  ;; 256.. constants, 4096.. bump heap (request strings and body chunks land there).
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  ;; method names in 8-byte slots indexed by the variant discriminant, and their lengths
  (data (i32.const 256) "GET     HEAD    POST    PUT     DELETE  CONNECT OPTIONS TRACE   PATCH   ")
  (data (i32.const 328) "\03\04\04\03\06\07\07\05\05")
  (data (i32.const 352) "x-method")
  (data (i32.const 360) "x-path")

  ;; Bump allocator (see hello.wat); reset per request and per body chunk.
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

  ;; Response headers {x-method: <method>, x-path: <path-with-query>}; empty fields if the host
  ;; rejects them.
  (func $echo_headers (param $req i32) (result i32)
    (local $m i32)
    ;; entry 0: x-method
    (i32.store (i32.const 128) (i32.const 352))
    (i32.store offset=4 (i32.const 128) (i32.const 8))
    (call $request.method (local.get $req) (global.get $RET))
    (local.set $m (i32.load8_u (global.get $RET)))
    (if (i32.eq (local.get $m) (i32.const 9))
      (then (i32.store offset=8 (i32.const 128) (i32.load offset=4 (global.get $RET)))
            (i32.store offset=12 (i32.const 128) (i32.load offset=8 (global.get $RET))))
      (else (i32.store offset=8 (i32.const 128) (i32.add (i32.const 256) (i32.shl (local.get $m) (i32.const 3))))
            (i32.store offset=12 (i32.const 128) (i32.load8_u offset=328 (local.get $m)))))
    ;; entry 1: x-path (empty when the request has none)
    (i32.store offset=16 (i32.const 128) (i32.const 360))
    (i32.store offset=20 (i32.const 128) (i32.const 6))
    (call $request.path (local.get $req) (global.get $RET))
    (i64.store offset=24 (i32.const 128) (i64.const 0))
    (if (i32.load8_u (global.get $RET))
      (then (i64.store offset=24 (i32.const 128) (i64.load offset=4 (global.get $RET)))))
    (call $fields.from-list (i32.const 128) (i32.const 2) (global.get $RET))
    (if (result i32) (i32.eqz (i32.load8_u (global.get $RET)))
      (then (i32.load offset=4 (global.get $RET)))
      (else (call $fields.new))))

  ;; Copies the request body to $ostream, one chunk at a time, until closed (or a failure).
  (func $copy_body (param $req i32) (param $ostream i32)
    (local $ibody i32) (local $istream i32)
    (call $request.consume (local.get $req) (global.get $RET))
    (if (i32.load8_u (global.get $RET)) (then (return)))        ;; body already consumed
    (local.set $ibody (i32.load offset=4 (global.get $RET)))
    (call $ibody.stream (local.get $ibody) (global.get $RET))
    (if (i32.eqz (i32.load8_u (global.get $RET)))
      (then
        (local.set $istream (i32.load offset=4 (global.get $RET)))
        (block $eof
          (loop $chunk
            (global.set $heap (i32.const 4096))                  ;; the previous chunk is written
            (call $istream.read (local.get $istream) (i64.const 4096) (global.get $RET))
            (br_if $eof (i32.load8_u (global.get $RET)))         ;; err: closed (or failed)
            (call $stream.write (local.get $ostream)
              (i32.load offset=4 (global.get $RET)) (i32.load offset=8 (global.get $RET))
              (global.get $RET))
            (br_if $eof (i32.load8_u (global.get $RET)))         ;; the client went away
            (br $chunk)))
        (call $istream.drop (local.get $istream))))              ;; child before parent
    (call $ibody.drop (local.get $ibody)))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (local $resp i32) (local $body i32) (local $stream i32)
    (global.set $heap (i32.const 4096))
    (local.set $resp (call $response.new (call $echo_headers (local.get $req))))
    (call $response.body (local.get $resp) (global.get $RET))
    (local.set $body (i32.load offset=4 (global.get $RET)))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.write (local.get $body) (global.get $RET))
    (local.set $stream (i32.load offset=4 (global.get $RET)))
    (call $copy_body (local.get $req) (local.get $stream))
    (call $stream.drop (local.get $stream))
    (call $body.finish (local.get $body) (i32.const 0) (i32.const 0) (global.get $RET))
    (call $request.drop (local.get $req)))
)
