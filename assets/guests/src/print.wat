;; print: mirrors wasmtime's `p2_cli_serve_with_print` test guest. During handle it writes to
;; stdout and stderr in pieces that do not line up with lines — half a line, its end, an empty
;; line, then single characters — each piece its own blocking-write-and-flush on a freshly
;; obtained stream (as Rust's print!/eprint! do). The host has to reassemble lines per stream
;; and must not let the output disturb the response: 200 with no body (the guest never even
;; takes the outgoing-body, exactly like the original).
(module
  (import "wasi:http/types@0.2.12" "[constructor]fields" (func $fields.new (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-response"
    (func $response.new (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[static]response-outparam.set"
    (func $outparam.set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $request.drop (param i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $stream.write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $stream.drop (param i32)))
  (import "wasi:cli/stdout@0.2.12" "get-stdout" (func $get-stdout (result i32)))
  (import "wasi:cli/stderr@0.2.12" "get-stderr" (func $get-stderr (result i32)))

  ;; Layout: 64..128 return area, 256.. the text pieces. No cabi_realloc: nothing this guest
  ;; calls hands it a string or list.
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (data (i32.const 256) "this is half a print ")   ;; 21 bytes
  (data (i32.const 288) "to stdout\n")             ;; 10
  (data (i32.const 304) "to stderr\n")             ;; 10
  (data (i32.const 320) "\n")                      ;; 1
  (data (i32.const 336) "after empty\n")           ;; 12
  (data (i32.const 352) "start a print ")          ;; 14
  (data (i32.const 368) "1234")                    ;; written one digit at a time

  ;; One write on a fresh stdout handle, dropped right after; errors ignored (`let _ =`).
  (func $out (param $ptr i32) (param $len i32)
    (local $s i32)
    (local.set $s (call $get-stdout))
    (call $stream.write (local.get $s) (local.get $ptr) (local.get $len) (global.get $RET))
    (call $stream.drop (local.get $s)))

  ;; The same on stderr.
  (func $err (param $ptr i32) (param $len i32)
    (local $s i32)
    (local.set $s (call $get-stderr))
    (call $stream.write (local.get $s) (local.get $ptr) (local.get $len) (global.get $RET))
    (call $stream.drop (local.get $s)))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    ;; print!("this is half a print "); flush; println!("to stdout"); println!(); println!("after empty")
    (call $out (i32.const 256) (i32.const 21))
    (call $out (i32.const 288) (i32.const 10))
    (call $out (i32.const 320) (i32.const 1))
    (call $out (i32.const 336) (i32.const 12))
    ;; the same on stderr
    (call $err (i32.const 256) (i32.const 21))
    (call $err (i32.const 304) (i32.const 10))
    (call $err (i32.const 320) (i32.const 1))
    (call $err (i32.const 336) (i32.const 12))
    ;; "start a print 1234\n" in six writes
    (call $err (i32.const 352) (i32.const 14))
    (call $err (i32.const 368) (i32.const 1))
    (call $err (i32.const 369) (i32.const 1))
    (call $err (i32.const 370) (i32.const 1))
    (call $err (i32.const 371) (i32.const 1))
    (call $err (i32.const 320) (i32.const 1))
    ;; ResponseOutparam::set(outparam, Ok(OutgoingResponse::new(Fields::new())))
    (call $outparam.set (local.get $out) (i32.const 0) (call $response.new (call $fields.new))
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $request.drop (local.get $req)))
)
