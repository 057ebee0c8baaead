package store

import "github.com/rtcengine/rtcengine/internal/trtc"

// seriesBuilder collects the averaged rows of a series query, which come
// sorted by user, peer and bucket, into Series in the order Series
// documents: the caller's user order, then the uplink before the peers by
// id, then the caller's metric order.
type seriesBuilder struct {
	q      SeriesQuery
	series map[seriesPath][]*Series
	paths  []seriesPath
}

type seriesPath struct{ user, peer string }

func newSeriesBuilder(q SeriesQuery) *seriesBuilder {
	return &seriesBuilder{q: q, series: map[seriesPath][]*Series{}}
}

// add records the value of metric q.Metrics[i] on a path in one bucket (ms).
func (b *seriesBuilder) add(user, peer string, i int, bucket int64, v float64) {
	p := seriesPath{user, peer}
	list := b.series[p]
	if list == nil {
		list = make([]*Series, len(b.q.Metrics))
		b.series[p] = list
		b.paths = append(b.paths, p)
	}
	if list[i] == nil {
		list[i] = &Series{UserID: trtc.UserID(user), PeerID: trtc.UserID(peer), Metric: b.q.Metrics[i]}
	}
	list[i].Points = append(list[i].Points, Point{At: fromMs(bucket), Value: v})
}

func (b *seriesBuilder) result() []Series {
	rank := make(map[string]int, len(b.q.Users))
	for i, u := range b.q.Users {
		if _, dup := rank[string(u)]; !dup {
			rank[string(u)] = i
		}
	}
	out := []Series{}
	for i := range b.q.Users {
		for _, p := range b.paths {
			if rank[p.user] != i {
				continue
			}
			for _, x := range b.series[p] {
				if x != nil {
					out = append(out, *x)
				}
			}
		}
	}
	return out
}
