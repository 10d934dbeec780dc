;; never-set: returns from handle without ever calling response-outparam.set. The host must
;; notice (wasmtime: "guest never invoked `response-outparam::set` method") and answer with an
;; error itself. Like a Rust guest that returns early, it drops its own handles on the way out,
;; including the unused outparam.
(module
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $request.drop (param i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]response-outparam"
    (func $outparam.drop (param i32)))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (call $request.drop (local.get $req))
    (call $outparam.drop (local.get $out)))
)
