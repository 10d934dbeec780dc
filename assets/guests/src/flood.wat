;; flood: floods stdout, then answers. It writes `?mb=N` MiB (default 16) of "x" to stdout in
;; 64 KiB writes, with no newline at all, then answers 200 with `flooded N bytes`. With `?nl=K`
;; every K-th byte of each 64 KiB write is a newline instead (many short lines; pick K dividing
;; 65536, e.g. 64). A hostile guest for the host's line buffer: one endless line must not cost
;; time quadratic in its length nor memory linear in it, and many lines must not outrun the pool.
;;
;; Writes follow the streams contract: check-write, then write at most what it permits
;; (blocking-flush and try again when it permits nothing); a stream error ends the flood early.
;; Response protocol as in sleep.wat; query parsing as in sleep.wat, for two parameters.
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
  ;; result<u64, stream-error>: disc u8 @0, u64 @8
  (import "wasi:io/streams@0.2.12" "[method]output-stream.check-write" (func $stream.check (param i32 i32)))
  ;; result<_, stream-error>: disc u8 @0
  (import "wasi:io/streams@0.2.12" "[method]output-stream.write" (func $stream.write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-flush" (func $stream.flush (param i32 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $stream.write-flush (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $stream.drop (param i32)))
  (import "wasi:cli/stdout@0.2.12" "get-stdout" (func $get-stdout (result i32)))

  ;; Layout: 64..128 return area, 128..148 digit scratch, 256.. constants, 512.. body text,
  ;; 4096..65536 bump heap, 65536..131072 the 64 KiB write buffer.
  (memory (export "memory") 2)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  (global $BUF i32 (i32.const 65536))
  (global $BUF_LEN i32 (i32.const 65536))
  (data (i32.const 256) "flooded ")
  (data (i32.const 272) " bytes")

  ;; Bump allocator, reset on every request (see hello.wat).
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32)
    (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.const 65536)) (then unreachable))
    (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
    (local.get $p))

  ;; The decimal value after the 4-byte key `$q` ("?xx=") or `$amp` ("&xx=") in [p, end), or
  ;; `$default` when absent. Digits stop at the first non-digit.
  (func $query (param $p i32) (param $end i32) (param $q i32) (param $amp i32) (param $default i64)
    (result i64)
    (local $w i32) (local $n i64)
    (block $found
      (loop $scan
        (br_if $found (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $end)))
        (local.set $w (i32.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $scan (i32.and (i32.ne (local.get $w) (local.get $q)) (i32.ne (local.get $w) (local.get $amp))))
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
    (local.get $default))

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

  ;; Writes $total bytes of the buffer (repeated) to stdout; returns how many were written.
  (func $flood (param $total i64) (result i64)
    (local $s i32) (local $done i64) (local $n i64) (local $permit i64)
    (local.set $s (call $get-stdout))
    (block $stop
      (loop $more
        (br_if $stop (i64.ge_u (local.get $done) (local.get $total)))
        (call $stream.check (local.get $s) (global.get $RET))
        (br_if $stop (i32.load8_u (global.get $RET)))
        (local.set $permit (i64.load offset=8 (global.get $RET)))
        (if (i64.eqz (local.get $permit))
          (then
            (call $stream.flush (local.get $s) (global.get $RET))
            (br_if $stop (i32.load8_u (global.get $RET)))
            (br $more)))
        ;; n = min(total - done, 64 KiB, permit)
        (local.set $n (i64.sub (local.get $total) (local.get $done)))
        (if (i64.gt_u (local.get $n) (i64.extend_i32_u (global.get $BUF_LEN)))
          (then (local.set $n (i64.extend_i32_u (global.get $BUF_LEN)))))
        (if (i64.gt_u (local.get $n) (local.get $permit)) (then (local.set $n (local.get $permit))))
        (call $stream.write (local.get $s) (global.get $BUF) (i32.wrap_i64 (local.get $n)) (global.get $RET))
        (br_if $stop (i32.load8_u (global.get $RET)))
        (local.set $done (i64.add (local.get $done) (local.get $n)))
        (br $more)))
    (call $stream.drop (local.get $s))
    (local.get $done))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (local $p i32) (local $end i32) (local $mb i64) (local $nl i64) (local $i i32) (local $written i64)
    (local $resp i32) (local $body i32) (local $stream i32)
    (global.set $heap (i32.const 4096))
    (local.set $mb (i64.const 16))
    (call $request.path (local.get $req) (global.get $RET))
    (if (i32.load8_u (global.get $RET))
      (then
        (local.set $p (i32.load offset=4 (global.get $RET)))
        (local.set $end (i32.add (local.get $p) (i32.load offset=8 (global.get $RET))))
        ;; "?mb=" / "&mb=" and "?nl=" / "&nl=", little-endian
        (local.set $mb (call $query (local.get $p) (local.get $end) (i32.const 0x3d626d3f) (i32.const 0x3d626d26) (i64.const 16)))
        (local.set $nl (call $query (local.get $p) (local.get $end) (i32.const 0x3d6c6e3f) (i32.const 0x3d6c6e26) (i64.const 0)))))
    (call $request.drop (local.get $req))

    ;; The buffer: "xxx…", with a newline every nl bytes when asked.
    (memory.fill (global.get $BUF) (i32.const 0x78) (global.get $BUF_LEN))
    (if (i64.gt_u (local.get $nl) (i64.const 0))
      (then
        (if (i64.le_u (local.get $nl) (i64.extend_i32_u (global.get $BUF_LEN)))
          (then
            (local.set $i (i32.sub (i32.wrap_i64 (local.get $nl)) (i32.const 1)))
            (loop $newline
              (if (i32.lt_u (local.get $i) (global.get $BUF_LEN))
                (then
                  (i32.store8 (i32.add (global.get $BUF) (local.get $i)) (i32.const 0x0a))
                  (local.set $i (i32.add (local.get $i) (i32.wrap_i64 (local.get $nl))))
                  (br $newline))))))))
    ;; mb is capped at 2^20 MiB (1 TiB) so that the byte count cannot overflow
    (if (i64.gt_u (local.get $mb) (i64.const 1048576)) (then (local.set $mb (i64.const 1048576))))
    (local.set $written (call $flood (i64.shl (local.get $mb) (i64.const 20))))

    ;; 200, body "flooded N bytes" built at 512
    (memory.copy (i32.const 512) (i32.const 256) (i32.const 8))
    (local.set $end (i32.add (i32.const 520) (call $fmt_u64 (local.get $written) (i32.const 520))))
    (memory.copy (local.get $end) (i32.const 272) (i32.const 6))
    (local.set $resp (call $response.new (call $fields.new)))
    (call $response.body (local.get $resp) (global.get $RET))
    (local.set $body (i32.load offset=4 (global.get $RET)))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.write (local.get $body) (global.get $RET))
    (local.set $stream (i32.load offset=4 (global.get $RET)))
    (call $stream.write-flush (local.get $stream) (i32.const 512)
      (i32.sub (i32.add (local.get $end) (i32.const 6)) (i32.const 512)) (global.get $RET))
    (call $stream.drop (local.get $stream))
    (call $body.finish (local.get $body) (i32.const 0) (i32.const 0) (global.get $RET)))
)
