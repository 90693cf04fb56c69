package extended

import "testing"

// BenchmarkPartialRows measures the map's Flush and the reduce's
// AddPartial of the same findings (distCorpus: stages of one request,
// blind writes, non-JSON lines), apart from the detection. Flush's
// detectors are filled through AddPartial outside the timer.
func BenchmarkPartialRows(b *testing.B) {
	var rows [][]byte
	flushTo(b, run(distCorpus(b)...), &rows)
	var n int64
	for _, r := range rows {
		n += int64(len(r))
	}
	b.Run("Flush", func(b *testing.B) {
		ds := make([]*Detector, 0, 64)
		b.ReportAllocs()
		b.SetBytes(n)
		for b.Loop() {
			b.StopTimer()
			if len(ds) == 0 {
				for range 64 {
					d := New()
					for _, r := range rows {
						_ = d.AddPartial(r)
					}
					ds = append(ds, d)
				}
			}
			d := ds[len(ds)-1]
			ds = ds[:len(ds)-1]
			b.StartTimer()
			_ = d.Flush(func([]byte) error { return nil })
		}
		b.ReportMetric(float64(len(rows)), "rows/op")
	})
	b.Run("AddPartial", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(n)
		for b.Loop() {
			d := New()
			for _, r := range rows {
				if err := d.AddPartial(r); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(rows)), "rows/op")
	})
}
