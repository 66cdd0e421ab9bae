;; Memory-heavy benchmark: fill n i32 words with a pseudo-random sequence,
;; insertion-sort them in linear memory, return a checksum of the sorted array.
(module
  (memory (export "memory") 4)
  (func (export "sort") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $x i32) (local $seed i32) (local $sum i32)
    (local.set $seed (i32.const 12345))
    ;; fill
    (block $f_done
      (loop $f
        (br_if $f_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $seed (i32.add (i32.mul (local.get $seed) (i32.const 1103515245)) (i32.const 12345)))
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.shr_u (local.get $seed) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $f)))
    ;; insertion sort
    (local.set $i (i32.const 1))
    (block $s_done
      (loop $s
        (br_if $s_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.load (i32.shl (local.get $i) (i32.const 2))))
        (local.set $j (local.get $i))
        (block $in_done
          (loop $in
            (br_if $in_done (i32.eqz (local.get $j)))
            (br_if $in_done (i32.le_u
              (i32.load (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2)))
              (local.get $x)))
            (i32.store (i32.shl (local.get $j) (i32.const 2))
              (i32.load (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2))))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br $in)))
        (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $s)))
    ;; checksum: sum of a[i] * (i+1)
    (local.set $i (i32.const 0))
    (block $c_done
      (loop $c
        (br_if $c_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum)
          (i32.mul (i32.load (i32.shl (local.get $i) (i32.const 2)))
                   (i32.add (local.get $i) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $c)))
    (local.get $sum)))
