;; kv: a key-value agent.
;;
;; Methods (type () -> (), host ABI v1, docs/ABI.md):
;;   put     input "key=value": stores value under key, outputs "ok"
;;   get     input "key": outputs the value (nothing when the key is absent)
;;   delete  input "key": deletes the key, outputs "ok"
;; Keys are at most 256 bytes, values at most 64 KiB here.
(module
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (import "mcpzero" "state_get" (func $state_get (param i32 i32 i32 i32) (result i32)))
  (import "mcpzero" "state_set" (func $state_set (param i32 i32 i32 i32)))
  (import "mcpzero" "state_delete" (func $state_delete (param i32 i32)))
  ;; 0..2 "ok"; input at 1024; values read at 131072
  (memory (export "memory") 3)
  (data (i32.const 0) "ok")

  ;; reads the input to 1024 and returns its length (at most 65536+257)
  (func $input (result i32)
    (call $input_read (i32.const 1024) (i32.const 0) (i32.const 65793)))

  (func (export "put")
    (local $n i32) (local $i i32)
    (local.set $n (call $input))
    ;; find '='
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $found (i32.eq (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (i32.const 61)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    ;; no '=' in the input: trap
    (if (i32.ge_u (local.get $i) (local.get $n)) (then unreachable))
    (call $state_set
      (i32.const 1024) (local.get $i)
      (i32.add (i32.const 1025) (local.get $i))
      (i32.sub (i32.sub (local.get $n) (local.get $i)) (i32.const 1)))
    (call $output_write (i32.const 0) (i32.const 2)))

  (func (export "get")
    (local $n i32) (local $v i32)
    (local.set $n (call $input))
    (local.set $v (call $state_get (i32.const 1024) (local.get $n) (i32.const 131072) (i32.const 65536)))
    (if (i32.ge_s (local.get $v) (i32.const 0))
      (then (call $output_write (i32.const 131072) (local.get $v)))))

  (func (export "delete")
    (call $state_delete (i32.const 1024) (call $input))
    (call $output_write (i32.const 0) (i32.const 2))))
