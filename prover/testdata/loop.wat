;; sum(1..n) with a loop: steps grow linearly with n, for multi-segment runs.
(module
  (func (export "sum") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        local.get $n
        i32.eqz
        br_if $done
        local.get $acc
        local.get $n
        i32.add
        local.set $acc
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br $next))
    local.get $acc))
