;; endless: answers 200 and then writes its body forever, paced by the stream: `check-write` says
;; how much fits, `subscribe` + `pollable.block` waits while nothing does, `write` sends at most
;; 64 KiB at a time. It stops when the stream reports an error (the client went away: `closed`),
;; drops the body without finishing it, and returns. With `?kib=N` it writes N KiB and finishes
;; the body normally (a plain, finite request). Every whole MiB written is reported on stdout as
;; `endless: N MiB written`, so a test can see how far the guest got ahead of its client.
;;
;; Same response protocol as hello.wat (see there); query parsing and decimals as in sleep.wat.
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
  (import "wasi:http/types@0.2.12" "[resource-drop]outgoing-body" (func $body.drop (param i32)))
  ;; option<string>: disc u8 @0, ptr @4, len @8
  (import "wasi:http/types@0.2.12" "[method]incoming-request.path-with-query"
    (func $request.path (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $request.drop (param i32)))
  ;; result<u64, stream-error>: disc u8 @0, u64 @8
  (import "wasi:io/streams@0.2.12" "[method]output-stream.check-write" (func $stream.check (param i32 i32)))
  ;; result<_, stream-error>: disc u8 @0
  (import "wasi:io/streams@0.2.12" "[method]output-stream.write" (func $stream.write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $stream.write-flush (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.subscribe" (func $stream.subscribe (param i32) (result i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $stream.drop (param i32)))
  (import "wasi:io/poll@0.2.12" "[method]pollable.block" (func $pollable.block (param i32)))
  (import "wasi:io/poll@0.2.12" "[resource-drop]pollable" (func $pollable.drop (param i32)))
  (import "wasi:cli/stdout@0.2.12" "get-stdout" (func $get-stdout (result i32)))

  ;; Layout: 64..128 return area, 128..148 digit scratch, 256.. constants, 512.. report line,
  ;; 4096.. bump heap, 65536..131072 the body chunk (64 KiB of 'x').
  (memory (export "memory") 2)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  (global $CHUNK i32 (i32.const 65536))
  (data (i32.const 256) "endless: ")
  (data (i32.const 272) " MiB written\n")

  ;; Bump allocator, reset on every request (see hello.wat). It must stay below the chunk.
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32)
    (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (global.get $CHUNK)) (then unreachable))
    (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
    (local.get $p))

  ;; The value of `kib=` after `?` or `&` in the request's query, or -1 (no limit) without one.
  (func $query_kib (param $req i32) (result i64)
    (local $p i32) (local $end i32) (local $w i32) (local $c i32) (local $n i64)
    (call $request.path (local.get $req) (global.get $RET))
    (if (i32.eqz (i32.load8_u (global.get $RET))) (then (return (i64.const -1))))
    (local.set $p (i32.load offset=4 (global.get $RET)))
    (local.set $end (i32.add (local.get $p) (i32.load offset=8 (global.get $RET))))
    (block $found
      (loop $scan
        (br_if $found (i32.gt_u (i32.add (local.get $p) (i32.const 5)) (local.get $end)))
        ;; "kib=" little-endian is 0x3d62696b, preceded by '?' (0x3f) or '&' (0x26)
        (local.set $w (i32.load offset=1 (local.get $p)))
        (local.set $c (i32.load8_u (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $scan (i32.ne (local.get $w) (i32.const 0x3d62696b)))
        (br_if $scan (i32.and (i32.ne (local.get $c) (i32.const 0x3f)) (i32.ne (local.get $c) (i32.const 0x26))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
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

  ;; "endless: N MiB written\n" on a fresh stdout handle (errors ignored).
  (func $report (param $mib i64)
    (local $end i32) (local $s i32)
    (memory.copy (i32.const 512) (i32.const 256) (i32.const 9))
    (local.set $end (i32.add (i32.const 521) (call $fmt_u64 (local.get $mib) (i32.const 521))))
    (memory.copy (local.get $end) (i32.const 272) (i32.const 13))
    (local.set $s (call $get-stdout))
    (call $stream.write-flush (local.get $s) (i32.const 512)
      (i32.sub (i32.add (local.get $end) (i32.const 13)) (i32.const 512)) (global.get $RET))
    (call $stream.drop (local.get $s)))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (local $limit i64) (local $total i64) (local $reported i64) (local $n i64)
    (local $resp i32) (local $body i32) (local $stream i32) (local $pollable i32)
    (global.set $heap (i32.const 4096))
    (local.set $limit (call $query_kib (local.get $req)))
    (if (i64.ge_s (local.get $limit) (i64.const 0))
      (then (local.set $limit (i64.mul (local.get $limit) (i64.const 1024)))))
    (call $request.drop (local.get $req))
    (memory.fill (global.get $CHUNK) (i32.const 0x78) (i32.const 65536))
    (local.set $resp (call $response.new (call $fields.new)))
    (call $response.body (local.get $resp) (global.get $RET))
    (local.set $body (i32.load offset=4 (global.get $RET)))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.write (local.get $body) (global.get $RET))
    (local.set $stream (i32.load offset=4 (global.get $RET)))
    (block $gone
      (loop $more
        (if (i64.ge_s (local.get $limit) (i64.const 0))
          (then (if (i64.ge_u (local.get $total) (local.get $limit))
            (then
              (call $stream.drop (local.get $stream))
              (call $body.finish (local.get $body) (i32.const 0) (i32.const 0) (global.get $RET))
              (return)))))
        (call $stream.check (local.get $stream) (global.get $RET))
        (br_if $gone (i32.load8_u (global.get $RET)))              ;; closed (or failed)
        (local.set $n (i64.load offset=8 (global.get $RET)))
        (if (i64.eqz (local.get $n))
          (then
            ;; nothing fits: wait until something does (or the stream is closed)
            (local.set $pollable (call $stream.subscribe (local.get $stream)))
            (call $pollable.block (local.get $pollable))
            (call $pollable.drop (local.get $pollable))
            (br $more)))
        (if (i64.gt_u (local.get $n) (i64.const 65536)) (then (local.set $n (i64.const 65536))))
        (if (i64.ge_s (local.get $limit) (i64.const 0))
          (then (if (i64.gt_u (local.get $n) (i64.sub (local.get $limit) (local.get $total)))
            (then (local.set $n (i64.sub (local.get $limit) (local.get $total)))))))
        (call $stream.write (local.get $stream) (global.get $CHUNK) (i32.wrap_i64 (local.get $n))
          (global.get $RET))
        (br_if $gone (i32.load8_u (global.get $RET)))
        (local.set $total (i64.add (local.get $total) (local.get $n)))
        (if (i64.gt_u (i64.shr_u (local.get $total) (i64.const 20)) (local.get $reported))
          (then
            (local.set $reported (i64.shr_u (local.get $total) (i64.const 20)))
            (call $report (local.get $reported))))
        (br $more)))
    ;; The client went away: the body can never be complete, so it is dropped unfinished.
    (call $stream.drop (local.get $stream))
    (call $body.drop (local.get $body)))
)
