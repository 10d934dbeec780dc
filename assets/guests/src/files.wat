;; files: serves the first directory preopened for it (`poolscope serve demo:files --dir HOST`).
;;   GET /            → 200, the directory's entries, one name per line (read-directory)
;;   GET /NAME        → 200, the file's bytes (open-at with symlink-follow, read-via-stream)
;;   PUT /NAME        → 201 "stored", the request body written to the file (open-at with
;;                      create|truncate, write-via-stream); 500 "write failed" if a write fails
;;   other methods    → 405
;; NAME is the path after its first `/`, up to any `?`, handed to open-at as is: the guest does
;; no checking of its own, so `/../x` asks for `../x` and `//etc/passwd` for `/etc/passwd`, and
;; what comes back is the host's answer. A failed open-at or read-via-stream answers with the
;; wasi:filesystem error-code's name as the body: 404 for no-entry, 403 for not-permitted and
;; access, 400 for any other. Without a preopen: 500 "no preopened directory".
;;
;; Same response protocol as hello.wat (see there); body streamed as echo.wat does (4096-byte
;; reads, the blocking-write-and-flush limit).
(module
  (import "wasi:http/types@0.2.12" "[constructor]fields" (func $fields.new (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-response"
    (func $response.new (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.set-status-code"
    (func $response.set-status (param i32 i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.body"
    (func $response.body (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]response-outparam.set"
    (func $outparam.set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-body.write" (func $body.write (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]outgoing-body.finish"
    (func $body.finish (param i32 i32 i32 i32)))
  ;; variant method: disc u8 @0 (get=0 … put=3 …)
  (import "wasi:http/types@0.2.12" "[method]incoming-request.method"
    (func $request.method (param i32 i32)))
  ;; option<string>: disc @0, ptr @4, len @8
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
  ;; list<tuple<descriptor, string>>: ptr @0, len @4; elements of 12 bytes (handle, name ptr, len)
  (import "wasi:filesystem/preopens@0.2.12" "get-directories" (func $get-directories (param i32)))
  ;; (self, path-flags, path ptr, path len, open-flags, descriptor-flags, ret):
  ;; result<descriptor, error-code>: disc u8 @0, handle or error-code @4
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.open-at"
    (func $open-at (param i32 i32 i32 i32 i32 i32 i32)))
  ;; (self, offset, ret): result<input-stream / output-stream, error-code>: disc @0, payload @4
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.read-via-stream"
    (func $read-via-stream (param i32 i64 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.write-via-stream"
    (func $write-via-stream (param i32 i64 i32)))
  ;; result<directory-entry-stream, error-code>: disc @0, payload @4
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.read-directory"
    (func $read-directory (param i32 i32)))
  ;; result<option<directory-entry>, error-code>: disc @0; option disc @4; type @8, name ptr @12, len @16
  (import "wasi:filesystem/types@0.2.12" "[method]directory-entry-stream.read-directory-entry"
    (func $read-directory-entry (param i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[resource-drop]descriptor" (func $descriptor.drop (param i32)))
  (import "wasi:filesystem/types@0.2.12" "[resource-drop]directory-entry-stream"
    (func $entries.drop (param i32)))

  ;; Layout: 64..128 return area, 256.. messages, 1024.. error-code names (24-byte slots, by
  ;; enum index) and at 1920 their lengths, 4096.. bump heap.
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  ;; The outgoing-body of the response being written (between $begin and $finish).
  (global $obody (mut i32) (i32.const 0))
  (data (i32.const 256) "no preopened directory\n")   ;; 23
  (data (i32.const 288) "GET or PUT\n")                ;; 11
  (data (i32.const 304) "stored\n")                    ;; 7
  (data (i32.const 312) "write failed\n")              ;; 13
  (data (i32.const 328) "\n")
  (data (i32.const 1024) "access")
  (data (i32.const 1048) "would-block")
  (data (i32.const 1072) "already")
  (data (i32.const 1096) "bad-descriptor")
  (data (i32.const 1120) "busy")
  (data (i32.const 1144) "deadlock")
  (data (i32.const 1168) "quota")
  (data (i32.const 1192) "exist")
  (data (i32.const 1216) "file-too-large")
  (data (i32.const 1240) "illegal-byte-sequence")
  (data (i32.const 1264) "in-progress")
  (data (i32.const 1288) "interrupted")
  (data (i32.const 1312) "invalid")
  (data (i32.const 1336) "io")
  (data (i32.const 1360) "is-directory")
  (data (i32.const 1384) "loop")
  (data (i32.const 1408) "too-many-links")
  (data (i32.const 1432) "message-size")
  (data (i32.const 1456) "name-too-long")
  (data (i32.const 1480) "no-device")
  (data (i32.const 1504) "no-entry")
  (data (i32.const 1528) "no-lock")
  (data (i32.const 1552) "insufficient-memory")
  (data (i32.const 1576) "insufficient-space")
  (data (i32.const 1600) "not-directory")
  (data (i32.const 1624) "not-empty")
  (data (i32.const 1648) "not-recoverable")
  (data (i32.const 1672) "unsupported")
  (data (i32.const 1696) "no-tty")
  (data (i32.const 1720) "no-such-device")
  (data (i32.const 1744) "overflow")
  (data (i32.const 1768) "not-permitted")
  (data (i32.const 1792) "pipe")
  (data (i32.const 1816) "read-only")
  (data (i32.const 1840) "invalid-seek")
  (data (i32.const 1864) "text-file-busy")
  (data (i32.const 1888) "cross-device")
  (data (i32.const 1920) "\06\0b\07\0e\04\08\05\05\0e\15\0b\0b\07\02\0c\04\0e\0c\0d\09\08\07\13\12\0d\09\0f\0b\06\0e\08\0d\04\09\0c\0e\0c")

  ;; Bump allocator (see hello.wat); reset per request, and per chunk to a mark.
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

  ;; Sets a response with $status on $out and returns its body's output-stream ($obody = the body).
  (func $begin (param $out i32) (param $status i32) (result i32)
    (local $resp i32)
    (local.set $resp (call $response.new (call $fields.new)))
    (drop (call $response.set-status (local.get $resp) (local.get $status)))
    (call $response.body (local.get $resp) (global.get $RET))
    (global.set $obody (i32.load offset=4 (global.get $RET)))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.write (global.get $obody) (global.get $RET))
    (i32.load offset=4 (global.get $RET)))

  ;; Drops the body's stream and finishes the body.
  (func $finish (param $stream i32)
    (call $stream.drop (local.get $stream))
    (call $body.finish (global.get $obody) (i32.const 0) (i32.const 0) (global.get $RET)))

  ;; A whole response: $status, body = $len bytes at $ptr.
  (func $respond (param $out i32) (param $status i32) (param $ptr i32) (param $len i32)
    (local $stream i32)
    (local.set $stream (call $begin (local.get $out) (local.get $status)))
    (call $stream.write (local.get $stream) (local.get $ptr) (local.get $len) (global.get $RET))
    (call $finish (local.get $stream)))

  ;; The answer to a failed filesystem call: the error-code's name and a newline.
  (func $respond_error (param $out i32) (param $code i32)
    (local $status i32) (local $stream i32)
    (local.set $status (i32.const 400))
    (if (i32.eq (local.get $code) (i32.const 20)) (then (local.set $status (i32.const 404))))  ;; no-entry
    (if (i32.or (i32.eq (local.get $code) (i32.const 31)) (i32.eqz (local.get $code)))        ;; not-permitted, access
      (then (local.set $status (i32.const 403))))
    (local.set $stream (call $begin (local.get $out) (local.get $status)))
    (call $stream.write (local.get $stream)
      (i32.add (i32.const 1024) (i32.mul (local.get $code) (i32.const 24)))
      (i32.load8_u offset=1920 (local.get $code)) (global.get $RET))
    (call $stream.write (local.get $stream) (i32.const 328) (i32.const 1) (global.get $RET))
    (call $finish (local.get $stream)))

  ;; GET /: one entry name per line.
  (func $list (param $dir i32) (param $out i32)
    (local $entries i32) (local $stream i32) (local $mark i32)
    (call $read-directory (local.get $dir) (global.get $RET))
    (if (i32.load8_u (global.get $RET))
      (then (call $respond_error (local.get $out) (i32.load8_u offset=4 (global.get $RET))) (return)))
    (local.set $entries (i32.load offset=4 (global.get $RET)))
    (local.set $stream (call $begin (local.get $out) (i32.const 200)))
    (local.set $mark (global.get $heap))
    (block $end
      (loop $next
        (global.set $heap (local.get $mark))
        (call $read-directory-entry (local.get $entries) (global.get $RET))
        (br_if $end (i32.load8_u (global.get $RET)))                ;; err: stop listing
        (br_if $end (i32.eqz (i32.load8_u offset=4 (global.get $RET))))  ;; none: the end
        (call $stream.write (local.get $stream)
          (i32.load offset=12 (global.get $RET)) (i32.load offset=16 (global.get $RET)) (global.get $RET))
        (call $stream.write (local.get $stream) (i32.const 328) (i32.const 1) (global.get $RET))
        (br $next)))
    (call $entries.drop (local.get $entries))
    (call $finish (local.get $stream)))

  ;; GET /NAME: the file's bytes.
  (func $get (param $dir i32) (param $path i32) (param $len i32) (param $out i32)
    (local $file i32) (local $istream i32) (local $stream i32) (local $mark i32)
    ;; path-flags {symlink-follow}, open-flags {}, descriptor-flags {read}
    (call $open-at (local.get $dir) (i32.const 1) (local.get $path) (local.get $len)
      (i32.const 0) (i32.const 1) (global.get $RET))
    (if (i32.load8_u (global.get $RET))
      (then (call $respond_error (local.get $out) (i32.load8_u offset=4 (global.get $RET))) (return)))
    (local.set $file (i32.load offset=4 (global.get $RET)))
    (call $read-via-stream (local.get $file) (i64.const 0) (global.get $RET))
    (if (i32.load8_u (global.get $RET))
      (then (call $respond_error (local.get $out) (i32.load8_u offset=4 (global.get $RET)))
            (call $descriptor.drop (local.get $file))
            (return)))
    (local.set $istream (i32.load offset=4 (global.get $RET)))
    (local.set $stream (call $begin (local.get $out) (i32.const 200)))
    (local.set $mark (global.get $heap))
    (block $eof
      (loop $chunk
        (global.set $heap (local.get $mark))
        (call $istream.read (local.get $istream) (i64.const 4096) (global.get $RET))
        (br_if $eof (i32.load8_u (global.get $RET)))             ;; closed: end of file
        (call $stream.write (local.get $stream)
          (i32.load offset=4 (global.get $RET)) (i32.load offset=8 (global.get $RET)) (global.get $RET))
        (br_if $eof (i32.load8_u (global.get $RET)))             ;; the client went away
        (br $chunk)))
    (call $istream.drop (local.get $istream))                    ;; child before parent
    (call $descriptor.drop (local.get $file))
    (call $finish (local.get $stream)))

  ;; PUT /NAME: the request body into the file.
  (func $put (param $dir i32) (param $path i32) (param $len i32) (param $req i32) (param $out i32)
    (local $file i32) (local $fstream i32) (local $ibody i32) (local $istream i32) (local $mark i32)
    (local $failed i32)
    ;; path-flags {symlink-follow}, open-flags {create, truncate}, descriptor-flags {write}
    (call $open-at (local.get $dir) (i32.const 1) (local.get $path) (local.get $len)
      (i32.const 9) (i32.const 2) (global.get $RET))
    (if (i32.load8_u (global.get $RET))
      (then (call $respond_error (local.get $out) (i32.load8_u offset=4 (global.get $RET))) (return)))
    (local.set $file (i32.load offset=4 (global.get $RET)))
    (call $write-via-stream (local.get $file) (i64.const 0) (global.get $RET))
    (if (i32.load8_u (global.get $RET))
      (then (call $respond_error (local.get $out) (i32.load8_u offset=4 (global.get $RET)))
            (call $descriptor.drop (local.get $file))
            (return)))
    (local.set $fstream (i32.load offset=4 (global.get $RET)))
    (call $request.consume (local.get $req) (global.get $RET))
    (if (i32.eqz (i32.load8_u (global.get $RET)))
      (then
        (local.set $ibody (i32.load offset=4 (global.get $RET)))
        (call $ibody.stream (local.get $ibody) (global.get $RET))
        (if (i32.eqz (i32.load8_u (global.get $RET)))
          (then
            (local.set $istream (i32.load offset=4 (global.get $RET)))
            (local.set $mark (global.get $heap))
            (block $eof
              (loop $chunk
                (global.set $heap (local.get $mark))
                (call $istream.read (local.get $istream) (i64.const 4096) (global.get $RET))
                (br_if $eof (i32.load8_u (global.get $RET)))     ;; closed: the body is in
                (call $stream.write (local.get $fstream)
                  (i32.load offset=4 (global.get $RET)) (i32.load offset=8 (global.get $RET))
                  (global.get $RET))
                (if (i32.load8_u (global.get $RET))
                  (then (local.set $failed (i32.const 1)) (br $eof)))
                (br $chunk)))
            (call $istream.drop (local.get $istream))))
        (call $ibody.drop (local.get $ibody))))
    (call $stream.drop (local.get $fstream))
    (call $descriptor.drop (local.get $file))
    (if (local.get $failed)
      (then (call $respond (local.get $out) (i32.const 500) (i32.const 312) (i32.const 13)))
      (else (call $respond (local.get $out) (i32.const 201) (i32.const 304) (i32.const 7)))))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (local $method i32) (local $path i32) (local $len i32) (local $i i32)
    (local $list i32) (local $count i32)
    (global.set $heap (i32.const 4096))
    (call $request.method (local.get $req) (global.get $RET))
    (local.set $method (i32.load8_u (global.get $RET)))
    (call $request.path (local.get $req) (global.get $RET))
    (if (i32.load8_u (global.get $RET))
      (then (local.set $path (i32.load offset=4 (global.get $RET)))
            (local.set $len (i32.load offset=8 (global.get $RET)))))
    ;; NAME: without the first `/`, up to any `?`
    (if (i32.and (i32.gt_u (local.get $len) (i32.const 0))
                 (i32.eq (i32.load8_u (local.get $path)) (i32.const 47)))
      (then (local.set $path (i32.add (local.get $path) (i32.const 1)))
            (local.set $len (i32.sub (local.get $len) (i32.const 1)))))
    (block $cut
      (loop $scan
        (br_if $cut (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.eq (i32.load8_u (i32.add (local.get $path) (local.get $i))) (i32.const 63))
          (then (local.set $len (local.get $i)) (br $cut)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (call $get-directories (global.get $RET))
    (local.set $list (i32.load (global.get $RET)))
    (local.set $count (i32.load offset=4 (global.get $RET)))
    (if (i32.eqz (local.get $count))
      (then (call $respond (local.get $out) (i32.const 500) (i32.const 256) (i32.const 23)))
      (else
        (if (i32.eqz (local.get $method))
          (then (if (i32.eqz (local.get $len))
                  (then (call $list (i32.load (local.get $list)) (local.get $out)))
                  (else (call $get (i32.load (local.get $list)) (local.get $path) (local.get $len) (local.get $out)))))
          (else (if (i32.eq (local.get $method) (i32.const 3))
                  (then (call $put (i32.load (local.get $list)) (local.get $path) (local.get $len)
                          (local.get $req) (local.get $out)))
                  (else (call $respond (local.get $out) (i32.const 405) (i32.const 288) (i32.const 11))))))))
    ;; every preopen descriptor handed out by get-directories is ours to drop
    (local.set $i (i32.const 0))
    (block $done
      (loop $drop
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (call $descriptor.drop (i32.load (i32.add (local.get $list) (i32.mul (local.get $i) (i32.const 12)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $drop)))
    (call $request.drop (local.get $req)))
)
