;; spin: busy-loops for `?ms=N` milliseconds, then answers 200 with `spun N ms`. Without ?ms it
;; spins forever. The loop only reads monotonic-clock.now (a non-blocking host call) and
;; compares: the instance burns a CPU inside guest code and never yields, so only something
;; that can interrupt running wasm (terminating the worker, epoch interruption) stops it.
;; Compare sleep.wat, which blocks inside the host instead.
;;
;; Same response protocol as hello.wat (see there); query parsing as in sleep.wat.
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
  (import "wasi:clocks/monotonic-clock@0.2.12" "now" (func $clock.now (result i64)))

  ;; Layout: 64..128 return area, 128..148 digit scratch, 256.. constants, 512.. body buffer,
  ;; 4096.. bump heap.
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 256) "spun ")
  (data (i32.const 272) " ms")

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

  ;; The value of `ms=` in the query, or -1 (u64 max: "forever") without one (see sleep.wat).
  (func $query_ms (param $req i32) (result i64)
    (local $p i32) (local $end i32) (local $w i32) (local $n i64)
    (call $request.path (local.get $req) (global.get $RET))
    (if (i32.eqz (i32.load8_u (global.get $RET))) (then (return (i64.const -1))))
    (local.set $p (i32.load offset=4 (global.get $RET)))
    (local.set $end (i32.add (local.get $p) (i32.load offset=8 (global.get $RET))))
    (block $found
      (loop $scan
        (br_if $found (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $end)))
        ;; 4 bytes at p, little-endian: "?ms=" is 0x3d736d3f, "&ms=" is 0x3d736d26
        (local.set $w (i32.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $scan (i32.and (i32.ne (local.get $w) (i32.const 0x3d736d3f))
                              (i32.ne (local.get $w) (i32.const 0x3d736d26))))
        (local.set $p (i32.add (local.get $p) (i32.const 3)))
        (loop $digit
          (if (i32.lt_u (local.get $p) (local.get $end))
            (then
              (local.set $w (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
              (if (i32.lt_u (local.get $w) (i32.const 10))
                (then
                  (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10))
                                         (i64.extend_i32_u (local.get $w))))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $digit))))))
        (return (local.get $n))))
    (i64.const -1))

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
    (local $ms i64) (local $ns i64) (local $start i64) (local $end i32)
    (global.set $heap (i32.const 4096))
    (local.set $ms (call $query_ms (local.get $req)))
    (call $request.drop (local.get $req))
    ;; nanoseconds, saturated at u64 max (= forever) instead of overflowing
    (local.set $ns (select (i64.const -1) (i64.mul (local.get $ms) (i64.const 1000000))
                           (i64.gt_u (local.get $ms) (i64.const 18446744073709))))
    (local.set $start (call $clock.now))
    (loop $spin
      (br_if $spin (i64.lt_u (i64.sub (call $clock.now) (local.get $start)) (local.get $ns))))
    ;; body = "spun " ++ decimal(ms) ++ " ms", built at 512
    (memory.copy (i32.const 512) (i32.const 256) (i32.const 5))
    (local.set $end (i32.add (i32.const 517) (call $fmt_u64 (local.get $ms) (i32.const 517))))
    (memory.copy (local.get $end) (i32.const 272) (i32.const 3))
    (call $respond (local.get $out) (i32.const 512)
      (i32.sub (i32.add (local.get $end) (i32.const 3)) (i32.const 512))))
)
