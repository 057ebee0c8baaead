package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
)

// A hand-rolled SVG line chart: two panels sharing the x axis (subscribers),
// latency on a log scale above and server CPU per packet below, with the
// targets drawn in.

type plotSeries struct {
	name  string
	color string
	dash  bool
	pts   [][2]float64 // x, y
}

type plotLine struct {
	label string
	y     float64
	color string
}

type plotPanel struct {
	title  string
	ylabel string
	log    bool
	ymin   float64
	ymax   float64
	series []plotSeries
	lines  []plotLine
}

const (
	svgW      = 760
	panelH    = 260
	marginL   = 70
	marginR   = 170 // legend
	marginTop = 40
	plotH     = panelH - 70
)

// RampSVG draws a fanout ramp: added latency p50/p99 (video frames, end
// to end; and the server's own share when it reports it) and server CPU µs
// per forwarded packet against the number of subscribers.
func RampSVG(r RampResult) []byte {
	var p50, p99, ap99, sp99, cpu [][2]float64
	maxX, maxLat, maxCPU := 0.0, 5.0, 30.0
	minLat := 1.0
	for _, s := range r.Steps {
		x := float64(s.Subscribers)
		p50 = append(p50, [2]float64{x, s.VideoLatency.P50})
		p99 = append(p99, [2]float64{x, s.VideoLatency.P99})
		ap99 = append(ap99, [2]float64{x, s.AudioLatency.P99})
		cpu = append(cpu, [2]float64{x, s.CPUPerPacketUs})
		if t := s.ServerTransit; t != nil && t.P99 > 0 {
			sp99 = append(sp99, [2]float64{x, t.P99})
			minLat = min(minLat, t.P99)
		}
		maxX = max(maxX, x)
		maxLat = max(maxLat, s.VideoLatency.P99, s.AudioLatency.P99)
		maxCPU = max(maxCPU, s.CPUPerPacketUs)
		for _, v := range []float64{s.VideoLatency.P50, s.AudioLatency.P99} {
			if v > 0 {
				minLat = min(minLat, v)
			}
		}
	}
	lat := plotPanel{
		title: "Added latency, publisher → subscriber (ms, log scale)", ylabel: "ms", log: true,
		ymin: math.Pow(10, math.Floor(math.Log10(minLat))), ymax: math.Pow(10, math.Ceil(math.Log10(maxLat*1.01))),
		series: []plotSeries{
			{name: "video p50", color: "#1f77b4", pts: p50},
			{name: "video p99", color: "#d62728", pts: p99},
			{name: "audio p99", color: "#ff7f0e", dash: true, pts: ap99},
		},
		lines: []plotLine{{"target p99 5 ms", 5, "#2ca02c"}, {"capacity limit 50 ms", 50, "#7f7f7f"}},
	}
	if len(sp99) > 0 {
		lat.series = append(lat.series, plotSeries{name: "in the server p99", color: "#8c564b", dash: true, pts: sp99})
	}
	cpuPanel := plotPanel{
		title: "Server CPU per forwarded packet (µs)", ylabel: "µs", ymin: 0, ymax: niceCeil(maxCPU * 1.1),
		series: []plotSeries{{name: "rtcengine", color: "#9467bd", pts: cpu}},
		lines:  []plotLine{{"target 5 µs", 5, "#2ca02c"}, {"LiveKit 23 µs", 23, "#7f7f7f"}, {"LiveKit 30 µs", 30, "#7f7f7f"}},
	}
	title := fmt.Sprintf("rtcengine bench fanout --ramp: capacity %d subscribers", r.Capacity)
	return renderPlot(title, "subscribers (N)", niceCeil(maxX*1.05), []plotPanel{lat, cpuPanel})
}

func renderPlot(title, xlabel string, xmax float64, panels []plotPanel) []byte {
	h := marginTop + len(panels)*panelH + 20
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, h, svgW, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, h)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", marginL, esc(title))
	pw := float64(svgW - marginL - marginR)
	xOf := func(x float64) float64 { return marginL + x/xmax*pw }
	for i, p := range panels {
		top := float64(marginTop + i*panelH + 20)
		yOf := func(y float64) float64 {
			var f float64
			if p.log {
				y = max(y, p.ymin)
				f = (math.Log10(y) - math.Log10(p.ymin)) / (math.Log10(p.ymax) - math.Log10(p.ymin))
			} else {
				f = (y - p.ymin) / (p.ymax - p.ymin)
			}
			return top + plotH*(1-min(max(f, 0), 1))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%s">%s</text>`+"\n", marginL, num(top-8), esc(p.title))
		fmt.Fprintf(&b, `<rect x="%d" y="%s" width="%s" height="%d" fill="none" stroke="#333"/>`+"\n", marginL, num(top), num(pw), plotH)
		// y grid and labels
		for _, t := range yTicks(p) {
			y := yOf(t)
			fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%s" y2="%s" stroke="#ddd"/>`, marginL, num(y), num(marginL+pw), num(y))
			fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", marginL-6, num(y+4), esc(fmtTick(t)))
		}
		// x ticks
		for _, t := range linTicks(0, xmax) {
			x := xOf(t)
			fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#eee"/>`, num(x), num(top), num(x), num(top+plotH))
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(x), num(top+plotH+16), esc(fmtTick(t)))
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(marginL+pw/2), num(top+plotH+32), esc(xlabel))
		legendY := top + 10
		for _, l := range p.lines {
			if l.y < p.ymin || l.y > p.ymax {
				continue
			}
			y := yOf(l.y)
			fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-dasharray="6 4"/>`, marginL, num(y), num(marginL+pw), num(y), l.color)
			fmt.Fprintf(&b, `<text x="%s" y="%s" fill="%s">%s</text>`+"\n", num(marginL+pw+8), num(y+4), l.color, esc(l.label))
		}
		for _, s := range p.series {
			if len(s.pts) == 0 {
				continue
			}
			var pts bytes.Buffer
			for j, pt := range s.pts {
				if j > 0 {
					pts.WriteByte(' ')
				}
				fmt.Fprintf(&pts, "%s,%s", num(xOf(pt[0])), num(yOf(pt[1])))
			}
			dash := ""
			if s.dash {
				dash = ` stroke-dasharray="4 3"`
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", pts.String(), s.color, dash)
			for _, pt := range s.pts {
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s: N=%s, %s</title></circle>`+"\n",
					num(xOf(pt[0])), num(yOf(pt[1])), s.color, esc(s.name), fmtTick(pt[0]), strconv.FormatFloat(pt[1], 'f', 2, 64))
			}
		}
		// legend, left of the target labels' column
		for _, s := range p.series {
			fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`, num(marginL+10), num(legendY), num(marginL+30), num(legendY), s.color)
			fmt.Fprintf(&b, `<text x="%s" y="%s">%s</text>`+"\n", num(marginL+35), num(legendY+4), esc(s.name))
			legendY += 16
		}
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func yTicks(p plotPanel) []float64 {
	if !p.log {
		return linTicks(p.ymin, p.ymax)
	}
	var t []float64
	for v := p.ymin; v <= p.ymax*1.0001; v *= 10 {
		t = append(t, v)
	}
	return t
}

// linTicks returns about five round ticks from lo to hi.
func linTicks(lo, hi float64) []float64 {
	step := niceStep((hi - lo) / 5)
	var t []float64
	for v := math.Ceil(lo/step) * step; v <= hi*1.0001; v += step {
		t = append(t, v)
	}
	return t
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// niceCeil rounds x up to a multiple of its nice step.
func niceCeil(x float64) float64 {
	if x <= 0 {
		return 1
	}
	s := niceStep(x / 5)
	return math.Ceil(x/s) * s
}

func fmtTick(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
