;; trap: executes `unreachable` as the first thing in handle, before any response exists.
;; The host must turn the trap into an error response (500) and throw the instance away: a
;; trapped instance is poisoned and may not serve another request.
;;
;; Nothing else is needed: no imports, no memory (handle's two params are plain handles).
(module
  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    unreachable)
)
