;; counter: a stateful counter plugin.
;;
;; State: key "count" holds the count as 8 bytes, little-endian.
;; Methods (type () -> (), host ABI v1, docs/ABI.md):
;;   increment  adds 1 (or the decimal number given as input) and outputs the
;;              new count in decimal
;;   get        outputs the count in decimal
;;   reset      deletes the count and outputs "0"
(module
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (import "mcpzero" "state_get" (func $state_get (param i32 i32 i32 i32) (result i32)))
  (import "mcpzero" "state_set" (func $state_set (param i32 i32 i32 i32)))
  (import "mcpzero" "state_delete" (func $state_delete (param i32 i32)))
  (import "mcpzero" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  ;; 0..5: the key; 16..24: the value; 32..64: decimal digits; 64..128: input
  (data (i32.const 0) "count")
  (data (i32.const 128) "counter: incremented")

  (func $load (result i64)
    (if (result i64) (i32.eq (call $state_get (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 8)) (i32.const 8))
      (then (i64.load (i32.const 16)))
      (else (i64.const 0))))

  (func $store (param $v i64)
    (i64.store (i32.const 16) (local.get $v))
    (call $state_set (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 8)))

  ;; writes $v in decimal to the output
  (func $emit (param $v i64)
    (local $p i32)
    (local.set $p (i32.const 64))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i64.store8 (local.get $p) (i64.add (i64.const 48) (i64.rem_u (local.get $v) (i64.const 10))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    (call $output_write (local.get $p) (i32.sub (i32.const 64) (local.get $p))))

  ;; the decimal number in the input, or 1 when the input is empty
  (func $step (result i64)
    (local $n i32) (local $i i32) (local $v i64) (local $c i32)
    (local.set $n (call $input_read (i32.const 64) (i32.const 0) (i32.const 20)))
    (if (i32.eqz (local.get $n)) (then (return (i64.const 1))))
    (loop $parse
      (local.set $c (i32.sub (i32.load8_u (i32.add (i32.const 64) (local.get $i))) (i32.const 48)))
      (if (i32.gt_u (local.get $c) (i32.const 9)) (then unreachable))
      (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $parse (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $v))

  (func (export "increment")
    (local $v i64)
    (local.set $v (i64.add (call $load) (call $step)))
    (call $store (local.get $v))
    (call $log (i32.const 128) (i32.const 20))
    (call $emit (local.get $v)))

  (func (export "get")
    (call $emit (call $load)))

  (func (export "reset")
    (call $state_delete (i32.const 0) (i32.const 5))
    (call $emit (i64.const 0))))
