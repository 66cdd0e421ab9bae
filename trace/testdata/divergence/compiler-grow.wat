;; Found by FuzzDifferential; minimised in compiler-store.wat.
(module
  (type (;0;) (func (param i32 i64) (result i32 i64)))
  (func (;0;) (type 0) (param i32 i64) (result i32 i64)
    (local i32 i64 i32 i64 i32 i32)
    memory.size
    i32.const 81912
    i32.and
    i32.load8_s offset=39
    i32.const 114680
    i32.and
    i64.load8_u
    drop
    block (result i32)  ;; label = @1
      i64.const 50
      local.set 3
      local.get 4
      local.get 4
      i32.const 808566942
      i32.const 1
      select
      br_if 0 (;@1;)
      drop
      global.get 0
      local.get 2
      i64.const -1479250348
      block (result i32)  ;; label = @2
        block  ;; label = @3
          block  ;; label = @4
            block  ;; label = @5
              local.get 3
              i64.eqz
              block (result i32)  ;; label = @6
                i32.const 178759255
                local.set 0
                i32.const 0
                memory.size
                br_if 0 (;@6;)
                drop
                local.get 0
              end
              local.tee 2
              block (result i32)  ;; label = @6
                i32.const 386473758
                i32.const 1
                memory.grow
                br_if 0 (;@6;)
                drop
                i32.const 30
              end
              i32.add
              local.tee 2
              i32.lt_u
              local.get 2
              i32.const 98296
              i32.and
              i32.load offset=196
              i32.clz
              global.get 0
              i32.load8_s
              local.get 4
              i32.const -52235019
              local.tee 0
              i32.const 81912
              i32.and
              i32.load16_s offset=490 align=1
              i32.const 1
              i32.div_u
              select
              i32.lt_s
              i32.le_u
              i32.const 98296
              i32.and
              i32.load8_s
              br_table 0 (;@5;) 1 (;@4;) 2 (;@3;)
            end
            i64.const 0
            global.get 1
            i64.const 31
            local.get 3
            i64.rem_s
            i64.and
            i64.le_u
            local.tee 0
            local.get 0
            if (result i32)  ;; label = @5
              memory.size
              i32.const 81912
              i32.and
              block (result i32)  ;; label = @6
                i32.const 495348590
                i32.popcnt
                local.get 2
                i32.const 114680
                i32.and
                i32.load16_u offset=194 align=1
                br_if 0 (;@6;)
                drop
                block (result i32)  ;; label = @7
                  i32.const 0
                  local.set 2
                  i32.const 170953048
                  i32.const -1
                  br_if 0 (;@7;)
                  drop
                  i32.const -574385410
                end
              end
              i32.store16 align=1
              i32.const 2
            else
              i32.const 1842084018
            end
            i32.const -1412019687
            select
            local.set 4
          end
        end
        i32.const 2
        i32.const 46
        br_if 0 (;@2;)
        drop
        i32.const -1413748535
      end
      i64.extend_i32_u
      i64.const 36
      i32.const -915191312
      select
      i64.rem_u
      i64.const 45
      i64.ge_u
      select
    end
    if  ;; label = @1
    end
    i32.const 58
    i64.const 2)
  (table (;0;) 1 funcref)
  (memory (;0;) 1 2)
  (global (;0;) (mut i32) (i32.const 7))
  (global (;1;) (mut i64) (i64.const 9))
  (export "run" (func 0))
  (export "memory" (memory 0))
  (export "g0" (global 0))
  (export "g1" (global 1))
  (elem (;0;) (i32.const 0) func 0)
  (data (;0;) (i32.const 16) "\01\02\03\04\f0\e0\d0\c0"))
