;; compute: pure functions, no state.
;;
;; Integer exports for `mcpzero run --func NAME --args ...`:
;;   add(i32, i32) -> i32      wrapping sum
;;   fib(i64) -> i64           the n-th Fibonacci number (wrapping)
;; Method for `mcpzero agent exec` (type () -> (), docs/ABI.md):
;;   reverse                   outputs its input reversed
(module
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 2)

  (func (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))

  (func (export "fib") (param $n i64) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $next)))
    (local.get $a))

  ;; input at 0 (at most 64 KiB), reversed copy at 65536
  (func (export "reverse")
    (local $n i32) (local $i i32)
    (local.set $n (call $input_read (i32.const 0) (i32.const 0) (i32.const 65536)))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8
          (i32.sub (i32.add (i32.const 65536) (local.get $n)) (i32.add (local.get $i) (i32.const 1)))
          (i32.load8_u (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (call $output_write (i32.const 65536) (local.get $n))))
