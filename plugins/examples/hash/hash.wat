;; hash: a provable plugin (docs/KERNEL.md, "Proofs"). It uses only the
;; provable host functions (input_size, input_read, output_write) and the
;; instructions the circuits constrain, so `mcpzero agent prove` can prove
;; its executes.
;;
;; Method (type () -> (), docs/ABI.md):
;;   hash   outputs 16 lowercase hex digits of a 64-bit multiplicative hash
;;          of its input: h = 0xcbf29ce484222325, then h = h·0x100000001b3 + byte
;;          for each byte (wrapping). Not a cryptographic hash: it keeps the
;;          proof small (about 30 steps per input byte plus 300).
;;
;; Memory: the 16 output digits at 0, the input from 16 (at most 65520 bytes).
(module
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)

  (func (export "hash")
    (local $n i32) (local $i i32) (local $h i64) (local $d i64)
    (local.set $n (call $input_size))
    ;; read exactly the input: reading past its end is not provable
    (drop (call $input_read (i32.const 16) (i32.const 0) (local.get $n)))
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h
          (i64.add
            (i64.mul (local.get $h) (i64.const 0x100000001b3))
            (i64.load8_u offset=16 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    ;; digit i is (h >> (60 - 4i)) mod 16, most significant first
    (local.set $i (i32.const 0))
    (block $done
      (loop $digit
        (br_if $done (i32.ge_u (local.get $i) (i32.const 16)))
        (local.set $d
          (i64.rem_u
            (i64.shr_u (local.get $h) (i64.extend_i32_u (i32.sub (i32.const 60) (i32.mul (local.get $i) (i32.const 4)))))
            (i64.const 16)))
        (i64.store8 (local.get $i)
          (i64.add (local.get $d)
            (select (i64.const 87) (i64.const 48) (i64.ge_u (local.get $d) (i64.const 10)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digit)))
    (call $output_write (i32.const 0) (i32.const 16))))
