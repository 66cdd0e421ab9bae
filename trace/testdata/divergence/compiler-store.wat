;; Minimised from compiler-grow.wat (found by FuzzDifferential): wazero v1.12.0's
;; compiler does not perform the i32.store16 below (memory bytes 1..2 stay 0),
;; while its interpreter and the tracer store 0x3ff8 there.
(module
  (memory (export "memory") 1)
  (global (mut i64) (i64.const 9))
  (func (export "run") (param i32 i64) (result i32 i64)
    (local i32 i64 i32 i64 i32)
    block (result i32)
      local.get 4
      local.get 4
      i32.const 808566942
      i32.const 1
      select
      i64.const -1479250348
      block (result i32)
        block
          block
            i64.const 0
            i64.const 9
            i64.const 31
            i64.and
            i64.le_u
            local.tee 0
            local.get 0
            if (result i32)
              i32.const 1
              i32.const 81912
              i32.store16 align=1
              i32.const 2
            else
              i32.const 5
            end
            i32.const -1412019687
            select
            local.set 4
          end
        end
        i32.const -1413748535
      end
      i64.extend_i32_u
      i64.const 36
      i32.const -915191312
      select
      i64.ge_u
      select
    end
    drop
    i32.const 58
    i64.const 2))
