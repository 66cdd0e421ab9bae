;; Base64 (RFC 4648, with padding) of the call's input: a bytes-in/bytes-out
;; agent method in the provable subset. Memory: alphabet at 0, input at 1024,
;; output after the input.
(module
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

  (func $emit (param $dst i32) (param $six i32)
    (i32.store8 (local.get $dst) (i32.load8_u (i32.and (local.get $six) (i32.const 63)))))

  (func (export "run")
    (local $n i32) (local $src i32) (local $end i32) (local $dst i32) (local $out i32)
    (local $w i32) (local $need i32) (local $rem i32)
    (local.set $n (call $input_size))
    ;; input at 1024, output (4 per 3, rounded up) after it
    (local.set $out (i32.add (i32.const 1024) (local.get $n)))
    (local.set $need (i32.shr_u
      (i32.add (i32.add (local.get $out) (i32.mul (i32.div_u (i32.add (local.get $n) (i32.const 2)) (i32.const 3)) (i32.const 4)))
               (i32.const 65535))
      (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
              (then unreachable))))
    (drop (call $input_read (i32.const 1024) (i32.const 0) (local.get $n)))
    (local.set $src (i32.const 1024))
    (local.set $rem (i32.rem_u (local.get $n) (i32.const 3)))
    (local.set $end (i32.sub (local.get $out) (local.get $rem)))
    (local.set $dst (local.get $out))
    ;; whole 3-byte groups
    (block $done
      (loop $group
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $w (i32.or (i32.or
          (i32.shl (i32.load8_u (local.get $src)) (i32.const 16))
          (i32.shl (i32.load8_u offset=1 (local.get $src)) (i32.const 8)))
          (i32.load8_u offset=2 (local.get $src))))
        (call $emit (local.get $dst) (i32.shr_u (local.get $w) (i32.const 18)))
        (call $emit (i32.add (local.get $dst) (i32.const 1)) (i32.shr_u (local.get $w) (i32.const 12)))
        (call $emit (i32.add (local.get $dst) (i32.const 2)) (i32.shr_u (local.get $w) (i32.const 6)))
        (call $emit (i32.add (local.get $dst) (i32.const 3)) (local.get $w))
        (local.set $src (i32.add (local.get $src) (i32.const 3)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $group)))
    ;; the tail: 1 or 2 bytes, padded with '='
    (if (i32.eq (local.get $rem) (i32.const 1))
      (then
        (local.set $w (i32.shl (i32.load8_u (local.get $src)) (i32.const 16)))
        (call $emit (local.get $dst) (i32.shr_u (local.get $w) (i32.const 18)))
        (call $emit (i32.add (local.get $dst) (i32.const 1)) (i32.shr_u (local.get $w) (i32.const 12)))
        (i32.store16 offset=2 (local.get $dst) (i32.const 0x3d3d))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))))
    (if (i32.eq (local.get $rem) (i32.const 2))
      (then
        (local.set $w (i32.or
          (i32.shl (i32.load8_u (local.get $src)) (i32.const 16))
          (i32.shl (i32.load8_u offset=1 (local.get $src)) (i32.const 8))))
        (call $emit (local.get $dst) (i32.shr_u (local.get $w) (i32.const 18)))
        (call $emit (i32.add (local.get $dst) (i32.const 1)) (i32.shr_u (local.get $w) (i32.const 12)))
        (call $emit (i32.add (local.get $dst) (i32.const 2)) (i32.shr_u (local.get $w) (i32.const 6)))
        (i32.store8 offset=3 (local.get $dst) (i32.const 0x3d))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))))
    (call $output_write (local.get $out) (i32.sub (local.get $dst) (local.get $out))))
)
