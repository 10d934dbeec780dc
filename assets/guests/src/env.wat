;; env: wasmtime's `echo_env` test guest (p2_cli_serve_echo_env): for each value NAME of the
;; request's `env` headers, in order, if the guest's environment has NAME, the response gets a
;; header `env: <its value>`; unset names add nothing. Status 200, empty body. With `--env=FOO=bar
;; --env=BAR` (BAR unset on the host), `env: FOO` answers `env: bar` and `env: BAR` answers no
;; `env` header at all; with `-H 'env: FOO'` the CLI's header replaces the client's.
;;
;; Same response protocol as hello.wat (see there).
(module
  (import "wasi:http/types@0.2.12" "[constructor]fields" (func $fields.new (result i32)))
  ;; (self, name ptr, len, ret): list<list<u8>>: ptr @0, len @4; elements (ptr, len)
  (import "wasi:http/types@0.2.12" "[method]fields.get" (func $fields.get (param i32 i32 i32 i32)))
  ;; (self, name ptr, len, value ptr, len, ret): result<_, header-error>
  (import "wasi:http/types@0.2.12" "[method]fields.append"
    (func $fields.append (param i32 i32 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]fields" (func $fields.drop (param i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-request.headers"
    (func $request.headers (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-response"
    (func $response.new (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.body"
    (func $response.body (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]response-outparam.set"
    (func $outparam.set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]outgoing-body.finish"
    (func $body.finish (param i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $request.drop (param i32)))
  ;; list<tuple<string, string>>: ptr @0, len @4; elements of 16 bytes (key ptr, len, value ptr, len)
  (import "wasi:cli/environment@0.2.12" "get-environment" (func $get-environment (param i32)))

  ;; Layout: 64..128 return area, 256.. constants, 4096.. bump heap.
  (memory (export "memory") 1)
  (global $RET i32 (i32.const 64))
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 256) "env")

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

  ;; Whether the $n bytes at $a and at $b are the same.
  (func $same (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (block $differ
      (loop $next
        (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                               (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $out i32)
    (local $headers i32) (local $names i32) (local $count i32) (local $env i32) (local $vars i32)
    (local $i i32) (local $j i32) (local $name i32) (local $var i32) (local $response i32) (local $resp i32)
    (global.set $heap (i32.const 4096))
    (local.set $response (call $fields.new))
    (local.set $headers (call $request.headers (local.get $req)))
    (call $fields.get (local.get $headers) (i32.const 256) (i32.const 3) (global.get $RET))
    (local.set $names (i32.load (global.get $RET)))
    (local.set $count (i32.load offset=4 (global.get $RET)))
    (call $get-environment (global.get $RET))
    (local.set $env (i32.load (global.get $RET)))
    (local.set $vars (i32.load offset=4 (global.get $RET)))
    (block $done
      (loop $each_name
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $name (i32.add (local.get $names) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $found
          (loop $each_var
            (br_if $found (i32.ge_u (local.get $j) (local.get $vars)))
            (local.set $var (i32.add (local.get $env) (i32.shl (local.get $j) (i32.const 4))))
            (if (i32.and (i32.eq (i32.load offset=4 (local.get $var)) (i32.load offset=4 (local.get $name)))
                         (call $same (i32.load (local.get $var)) (i32.load (local.get $name))
                                     (i32.load offset=4 (local.get $name))))
              (then (call $fields.append (local.get $response) (i32.const 256) (i32.const 3)
                      (i32.load offset=8 (local.get $var)) (i32.load offset=12 (local.get $var)) (global.get $RET))
                    (br $found)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $each_var)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each_name)))
    (call $fields.drop (local.get $headers))                     ;; child before parent
    (local.set $resp (call $response.new (local.get $response)))
    (call $response.body (local.get $resp) (global.get $RET))
    (call $outparam.set (local.get $out) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body.finish (i32.load offset=4 (global.get $RET)) (i32.const 0) (i32.const 0) (global.get $RET))
    (call $request.drop (local.get $req)))
)
