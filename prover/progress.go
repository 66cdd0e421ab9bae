package prover

import (
	"sync"
	"time"

	"github.com/mcpzero/mcpzero/verifier"
)

// Estimated costs on the reference 2-core machine (docs/zkvm design brief,
// section 5). They only seed the ETA until real measurements arrive.
func setupSecondsPerConstraint(b verifier.Backend) float64 {
	if b == verifier.PLONK {
		return 12e-6
	}
	return 160e-6
}

func proveSecondsPerConstraint(b verifier.Backend) float64 {
	if b == verifier.PLONK {
		return 1.0 / 30000
	}
	return 1.0 / 72000
}

// tracker turns a list of weighted jobs into progress reports with an ETA.
type tracker struct {
	mu        sync.Mutex
	report    func(Progress)
	start     time.Time
	total     float64 // estimated seconds of all jobs
	done      float64 // estimated seconds of finished jobs
	cur       float64 // estimated seconds of the current job
	curAt     time.Time
	scale     float64 // measured / estimated, from finished prove jobs
	p         Progress
	stop      chan struct{}
	stopped   sync.WaitGroup
	closeOnce sync.Once
}

func newTracker(report func(Progress)) *tracker {
	t := &tracker{report: report, start: time.Now(), scale: 1, stop: make(chan struct{})}
	if report != nil {
		t.stopped.Add(1)
		go t.tick()
	}
	return t
}

func (t *tracker) tick() {
	defer t.stopped.Done()
	tk := time.NewTicker(250 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tk.C:
			t.mu.Lock()
			t.emitLocked()
			t.mu.Unlock()
		}
	}
}

func (t *tracker) addWork(estSeconds float64) {
	t.mu.Lock()
	t.total += estSeconds
	t.mu.Unlock()
}

// begin starts a job of estimated length est seconds.
func (t *tracker) begin(phase Phase, shape string, seg, nseg int, est float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Phase, t.p.Shape, t.p.Segment, t.p.Segments = phase, shape, seg, nseg
	t.cur, t.curAt = est, time.Now()
	t.emitLocked()
}

// end finishes the current job; calibrate says whether its measured time
// should rescale the remaining estimates (true for prove jobs).
func (t *tracker) end(calibrate bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if calibrate && t.cur > 0 {
		measured := time.Since(t.curAt).Seconds()
		t.scale = measured / t.cur
	}
	t.done += t.cur
	t.cur = 0
}

func (t *tracker) emitLocked() {
	if t.report == nil {
		return
	}
	p := t.p
	p.Elapsed = time.Since(t.start)
	if t.total > 0 {
		inJob := 0.0
		if t.cur > 0 {
			// Within a job, creep towards 95% of it by elapsed time.
			inJob = min(time.Since(t.curAt).Seconds()/(t.cur*t.scale), 0.95) * t.cur
		}
		p.Fraction = min((t.done+inJob)/t.total, 1)
		left := (t.total - t.done - inJob) * t.scale
		p.ETA = time.Duration(max(left, 0) * float64(time.Second))
	}
	t.report(p)
}

// close stops the ticker; safe to call more than once.
func (t *tracker) close() {
	t.closeOnce.Do(func() {
		if t.report != nil {
			close(t.stop)
			t.stopped.Wait()
		}
	})
}

// complete stops the ticker and reports PhaseDone.
func (t *tracker) complete() {
	t.close()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Phase, t.cur, t.done = PhaseDone, 0, t.total
	if t.report != nil {
		p := t.p
		p.Fraction, p.ETA, p.Elapsed = 1, 0, time.Since(t.start)
		t.report(p)
	}
}
