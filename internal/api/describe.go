package api

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rtcengine/rtcengine/internal/store"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// History is what the Describe actions read: the history store.
type History interface {
	// Rooms returns a page of rooms and how many match.
	Rooms(ctx context.Context, q store.RoomQuery) ([]store.Room, int, error)
	// Sessions returns a page of user sessions and how many match.
	Sessions(ctx context.Context, q store.SessionQuery) ([]store.Session, int, error)
	// Series returns quality series.
	Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error)
}

// Limits of the Describe actions (trtc-reference §7.4).
const (
	// HistoryDays is how far back StartTime may reach.
	HistoryDays = 14
	// RoomInfoWindow bounds EndTime − StartTime of DescribeRoomInfo.
	RoomInfoWindow = 24 * time.Hour
	// UserInfoWindow bounds it for DescribeUserInfo and for
	// DescribeCallDetailInfo without DataType.
	UserInfoWindow = 4 * time.Hour
	// QualityWindow bounds it for DescribeCallDetailInfo with DataType.
	QualityWindow = time.Hour
	// MaxPageSize bounds PageSize and UserIds; with DataType both are
	// bounded by MaxQualityUsers.
	MaxPageSize     = 100
	MaxQualityUsers = 6
	// MaxPageNumber bounds PageNumber.
	MaxPageNumber = 1_000_000
	// MaxSeriesPoints bounds each quality series: longer windows average
	// the samples over equal steps (10 s for an hour).
	MaxSeriesPoints = 360
	// maxCommIDLen bounds CommId: 10 digits, a 64-byte room id, 20 digits.
	maxCommIDLen = 96
	// maxDataTypes bounds the DataType array (13 names and "all", with room for repeats).
	maxDataTypes = 32
	// maxUnixTime bounds StartTime and EndTime (9999-12-31).
	maxUnixTime = 253402300799
)

// Default page sizes (TencentCloud's).
const (
	defaultRoomPageSize = 10
	defaultUserPageSize = 6
)

func registerDescribeActions(h *Handler, hist History) {
	d := &describer{hist: hist, now: h.now}
	h.Register("DescribeRoomInfo", Typed(d.roomInfo))
	h.Register("DescribeUserInfo", Typed(d.userInfo))
	h.Register("DescribeCallDetailInfo", Typed(d.callDetail))
}

type describer struct {
	hist History
	now  func() time.Time
}

// describeRoomInfoParams is DescribeRoomInfo's request.
type describeRoomInfoParams struct {
	SDKAppID   *uint64 `json:"SdkAppId"`
	StartTime  *uint64 `json:"StartTime"`
	EndTime    *uint64 `json:"EndTime"`
	RoomID     *string `json:"RoomId"`
	PageNumber *uint64 `json:"PageNumber"`
	PageSize   *uint64 `json:"PageSize"`
}

// roomState is RoomState of the response.
type roomState struct {
	CommID      string `json:"CommId"`
	RoomString  string `json:"RoomString"`
	CreateTime  uint64 `json:"CreateTime"`
	DestroyTime uint64 `json:"DestroyTime"` // 0 while the room exists
	IsFinished  bool   `json:"IsFinished"`
	UserID      string `json:"UserId"` // the creator
}

type describeRoomInfoResponse struct {
	Total    int64       `json:"Total"`
	RoomList []roomState `json:"RoomList"`
}

func (d *describer) roomInfo(ctx context.Context, call *Call, p *describeRoomInfoParams) (any, error) {
	if p.SDKAppID == nil {
		return nil, Errorf(CodeMissingSDKAppID, "The required parameter SdkAppId is missing.")
	}
	from, to, err := d.window(p.StartTime, p.EndTime, RoomInfoWindow)
	if err != nil {
		return nil, err
	}
	app, err := sdkAppID(*p.SDKAppID)
	if err != nil {
		return nil, err
	}
	roomID := ""
	if p.RoomID != nil && *p.RoomID != "" {
		if err := trtc.ValidateStrRoomID(*p.RoomID); err != nil {
			return nil, Errorf(CodeInvalidRoomID, "RoomId must be a room id: 1 to %d characters of a-z, A-Z, 0-9, space and !#$%%&()+-:;<=.>?@[]^_{}|~,", trtc.MaxStrRoomIDLen)
		}
		roomID = *p.RoomID
	}
	offset, limit, err := page(p.PageNumber, p.PageSize, defaultRoomPageSize, MaxPageSize, "")
	if err != nil {
		return nil, err
	}
	if err := call.Authorize(app); err != nil {
		return nil, err
	}
	rooms, total, err := d.hist.Rooms(ctx, store.RoomQuery{App: app, RoomID: roomID, From: from, To: to, Offset: offset, Limit: limit})
	if err != nil {
		return nil, dbError(err)
	}
	resp := describeRoomInfoResponse{Total: int64(total), RoomList: make([]roomState, len(rooms))}
	for i, r := range rooms {
		resp.RoomList[i] = roomState{
			CommID: r.CommID(), RoomString: r.RoomID, CreateTime: unixSeconds(r.Created),
			DestroyTime: unixSeconds(r.Destroyed), IsFinished: !r.Destroyed.IsZero(), UserID: string(r.Creator),
		}
	}
	return resp, nil
}

// describeUserInfoParams is DescribeUserInfo's request.
type describeUserInfoParams struct {
	CommID     *string   `json:"CommId"`
	StartTime  *uint64   `json:"StartTime"`
	EndTime    *uint64   `json:"EndTime"`
	SDKAppID   *uint64   `json:"SdkAppId"`
	UserIDs    *[]string `json:"UserIds"`
	PageNumber *uint64   `json:"PageNumber"`
	PageSize   *uint64   `json:"PageSize"`
}

// describeCallDetailParams is DescribeCallDetailInfo's request.
type describeCallDetailParams struct {
	CommID     *string   `json:"CommId"`
	StartTime  *uint64   `json:"StartTime"`
	EndTime    *uint64   `json:"EndTime"`
	SDKAppID   *uint64   `json:"SdkAppId"`
	UserIDs    *[]string `json:"UserIds"`
	DataType   *[]string `json:"DataType"`
	PageNumber *uint64   `json:"PageNumber"`
	PageSize   *uint64   `json:"PageSize"`
}

// userInformation is UserInformation of the responses.
type userInformation struct {
	RoomStr    string `json:"RoomStr"`
	UserID     string `json:"UserId"`
	JoinTs     uint64 `json:"JoinTs"`
	LeaveTs    uint64 `json:"LeaveTs"` // now while the user is in the room
	DeviceType string `json:"DeviceType"`
	SDKVersion string `json:"SdkVersion"`
	ClientIP   string `json:"ClientIp"`
	Finished   bool   `json:"Finished"`
}

type describeUserInfoResponse struct {
	Total    uint64            `json:"Total"`
	UserList []userInformation `json:"UserList"`
}

// timeValue and qualityData are TimeValue and QualityData.
type timeValue struct {
	Time  uint64  `json:"Time"`
	Value float64 `json:"Value"`
}

type qualityData struct {
	Content  []timeValue `json:"Content"`
	UserID   string      `json:"UserId"`
	PeerID   string      `json:"PeerId"` // "" for the user's uplink
	DataType string      `json:"DataType"`
}

type describeCallDetailResponse struct {
	Total    uint64            `json:"Total"`
	UserList []userInformation `json:"UserList"`
	Data     []qualityData     `json:"Data"`
}

// callQuery is the common part of DescribeUserInfo and DescribeCallDetailInfo.
type callQuery struct {
	app      trtc.SDKAppID
	commID   string
	from, to time.Time
	users    []trtc.UserID
	offset   int
	limit    int
}

// parseCall checks the fields the two call actions share, in TencentCloud's
// field order. window and maxUsers depend on the action (and DataType).
func (d *describer) parseCall(commID *string, start, end, sdkApp *uint64, userIDs *[]string, pageNumber, pageSize *uint64,
	window time.Duration, maxUsers int, usersCode string) (callQuery, error) {
	var q callQuery
	if commID == nil || *commID == "" {
		return q, Errorf(CodeMissingCommID, "The required parameter CommId is missing.")
	}
	if len(*commID) > maxCommIDLen {
		return q, Errorf(CodeInvalidParameter, "CommId is longer than %d bytes; it has the form SdkAppId_RoomId_CreateTime.", maxCommIDLen)
	}
	q.commID = *commID
	var err error
	if q.from, q.to, err = d.window(start, end, window); err != nil {
		return q, err
	}
	if sdkApp == nil {
		return q, Errorf(CodeMissingSDKAppID, "The required parameter SdkAppId is missing.")
	}
	if q.app, err = sdkAppID(*sdkApp); err != nil {
		return q, err
	}
	if userIDs != nil && len(*userIDs) > 0 {
		if q.users, err = queryUsers(*userIDs, maxUsers, usersCode); err != nil {
			return q, err
		}
	}
	q.offset, q.limit, err = page(pageNumber, pageSize, defaultUserPageSize, maxUsers, usersCode)
	return q, err
}

func (d *describer) userInfo(ctx context.Context, call *Call, p *describeUserInfoParams) (any, error) {
	q, err := d.parseCall(p.CommID, p.StartTime, p.EndTime, p.SDKAppID, p.UserIDs, p.PageNumber, p.PageSize,
		UserInfoWindow, MaxPageSize, "")
	if err != nil {
		return nil, err
	}
	if err := call.Authorize(q.app); err != nil {
		return nil, err
	}
	users, total, err := d.users(ctx, q)
	if err != nil {
		return nil, err
	}
	return describeUserInfoResponse{Total: uint64(total), UserList: users}, nil
}

func (d *describer) callDetail(ctx context.Context, call *Call, p *describeCallDetailParams) (any, error) {
	withData := p.DataType != nil && len(*p.DataType) > 0
	window, maxUsers, code := UserInfoWindow, MaxPageSize, ""
	if withData {
		window, maxUsers, code = QualityWindow, MaxQualityUsers, CodeUserIDsMoreThanSix
	}
	q, err := d.parseCall(p.CommID, p.StartTime, p.EndTime, p.SDKAppID, p.UserIDs, p.PageNumber, p.PageSize, window, maxUsers, code)
	if err != nil {
		return nil, err
	}
	var metrics []store.Metric
	if withData {
		if metrics, err = dataTypes(*p.DataType); err != nil {
			return nil, err
		}
	}
	if err := call.Authorize(q.app); err != nil {
		return nil, err
	}
	users, total, err := d.users(ctx, q)
	if err != nil {
		return nil, err
	}
	resp := describeCallDetailResponse{Total: uint64(total), UserList: users, Data: []qualityData{}}
	if !withData || len(users) == 0 {
		return resp, nil
	}
	var pageUsers []trtc.UserID
	for _, u := range users {
		if id := trtc.UserID(u.UserID); !slices.Contains(pageUsers, id) {
			pageUsers = append(pageUsers, id)
		}
	}
	series, err := d.hist.Series(ctx, store.SeriesQuery{
		App: q.app, CommID: q.commID, Users: pageUsers, Metrics: metrics,
		From: q.from, To: q.to, Step: seriesStep(q.to.Sub(q.from)),
	})
	if err != nil {
		return nil, dbError(err)
	}
	for _, s := range series {
		qd := qualityData{UserID: string(s.UserID), PeerID: string(s.PeerID), DataType: s.Metric.String(), Content: make([]timeValue, len(s.Points))}
		for i, pt := range s.Points {
			qd.Content[i] = timeValue{Time: unixSeconds(pt.At), Value: math.Round(pt.Value*100) / 100}
		}
		resp.Data = append(resp.Data, qd)
	}
	return resp, nil
}

// users reads a page of sessions as UserInformation.
func (d *describer) users(ctx context.Context, q callQuery) ([]userInformation, int, error) {
	sessions, total, err := d.hist.Sessions(ctx, store.SessionQuery{
		App: q.app, CommID: q.commID, Users: q.users, From: q.from, To: q.to, Offset: q.offset, Limit: q.limit,
	})
	if err != nil {
		return nil, 0, dbError(err)
	}
	now := unixSeconds(d.now())
	out := make([]userInformation, len(sessions))
	for i, x := range sessions {
		u := userInformation{
			RoomStr: x.RoomID, UserID: string(x.UserID), JoinTs: unixSeconds(x.Joined), LeaveTs: now,
			DeviceType: x.DeviceType, SDKVersion: x.SDKVersion, ClientIP: x.ClientIP, Finished: !x.Left.IsZero(),
		}
		if u.Finished {
			u.LeaveTs = unixSeconds(x.Left)
		}
		out[i] = u
	}
	return out, total, nil
}

// window checks StartTime and EndTime: both present, in order, within the
// last HistoryDays, at most max apart. The window is inclusive.
func (d *describer) window(start, end *uint64, max time.Duration) (from, to time.Time, err error) {
	switch {
	case start == nil:
		return from, to, Errorf(CodeMissingStartTs, "The required parameter StartTime is missing.")
	case end == nil:
		return from, to, Errorf(CodeMissingEndTs, "The required parameter EndTime is missing.")
	case *start > maxUnixTime:
		return from, to, Errorf(CodeInvalidStartTs, "StartTime must be a Unix time in seconds.")
	case *end > maxUnixTime:
		return from, to, Errorf(CodeInvalidEndTs, "EndTime must be a Unix time in seconds.")
	case *end < *start:
		return from, to, Errorf(CodeInvalidEndTs, "EndTime must not be before StartTime.")
	}
	from, to = time.Unix(int64(*start), 0), time.Unix(int64(*end), 0)
	if oldest := d.now().Add(-HistoryDays * 24 * time.Hour); from.Before(oldest) {
		return from, to, Errorf(CodeStartTsOversize, "StartTime must be within the last %d days (not before %d).", HistoryDays, oldest.Unix()+1)
	}
	if to.Sub(from) > max {
		return from, to, Errorf(CodeQueryScaleOversize, "EndTime − StartTime must be at most %s for this query, not %s.", shortDuration(max), shortDuration(to.Sub(from)))
	}
	// The window covers its last second in full.
	return from, to.Add(time.Second - time.Millisecond), nil
}

// page turns PageNumber and PageSize into an offset and a limit. overCode
// is the code for a PageSize above max ("" for PageSizeOversize).
func page(number, size *uint64, def, max int, overCode string) (offset, limit int, err error) {
	n, s := uint64(0), uint64(def)
	if number != nil {
		n = *number
	}
	if size != nil {
		s = *size
	}
	if n > MaxPageNumber {
		return 0, 0, Errorf(CodeInvalidPageNumber, "PageNumber must be at most %d.", MaxPageNumber)
	}
	switch {
	case s == 0:
		return 0, 0, Errorf(CodeInvalidPageSize, "PageSize must be 1 to %d.", max)
	case s > MaxPageSize:
		return 0, 0, Errorf(CodePageSizeOversize, "PageSize must be at most %d, not %d.", MaxPageSize, s)
	case s > uint64(max):
		return 0, 0, Errorf(overCode, "PageSize must be at most %d with DataType, not %d.", max, s)
	}
	return int(n * s), int(s), nil
}

// queryUsers validates 1..max user ids and drops repeats. overCode is the
// code for more than max ("" for InvalidParameter.UserIds).
func queryUsers(ids []string, max int, overCode string) ([]trtc.UserID, error) {
	if len(ids) > max {
		if overCode == "" {
			overCode = CodeInvalidUserIDs
		}
		return nil, Errorf(overCode, "UserIds may hold at most %d user ids for this query, not %d.", max, len(ids))
	}
	out := make([]trtc.UserID, 0, len(ids))
	for _, id := range ids {
		if err := trtc.ValidateUserID(id); err != nil {
			return nil, Errorf(CodeInvalidUserID, "UserIds holds %q, which is not a valid user id (1 to %d characters of a-z, A-Z, 0-9, _ and -).", clip(id), trtc.MaxUserIDLen)
		}
		if !slices.Contains(out, trtc.UserID(id)) {
			out = append(out, trtc.UserID(id))
		}
	}
	return out, nil
}

// dataTypes parses DataType: metric names, or "all" for every metric.
// Repeats are merged; the order of first mention is kept.
func dataTypes(names []string) ([]store.Metric, error) {
	if len(names) > maxDataTypes {
		return nil, Errorf(CodeInvalidParameterValue, "DataType may hold at most %d names, not %d.", maxDataTypes, len(names))
	}
	var out []store.Metric
	add := func(m store.Metric) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	for _, n := range names {
		if n == "all" {
			for _, m := range store.AllMetrics() {
				add(m)
			}
			continue
		}
		m := store.ParseMetric(n)
		if m == store.MetricUnknown {
			return nil, Errorf(CodeInvalidParameterValue, "DataType %q is not one of all, appCpu, sysCpu, aBit, aBlock, bigvBit, bigvCapFps, bigvEncFps, bigvDecFps, bigvBlock, aLoss, bigvLoss, bigvWidth, bigvHeight.", clip(n))
		}
		add(m)
	}
	return out, nil
}

// seriesStep is the averaging step, in whole seconds, that keeps a
// window's series within MaxSeriesPoints (steps are aligned to the epoch,
// so a window may touch one step more than it spans).
func seriesStep(window time.Duration) time.Duration {
	secs := math.Ceil(window.Seconds() / (MaxSeriesPoints - 1))
	return max(time.Duration(secs)*time.Second, time.Second)
}

func unixSeconds(t time.Time) uint64 {
	if t.IsZero() || t.Unix() < 0 {
		return 0
	}
	return uint64(t.Unix())
}

func shortDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.Round(time.Second).String()
}

// dbError reports a failed history read; the cause is logged, not sent.
func dbError(err error) error {
	return fmt.Errorf("%w: %w", &Error{CodeDBError, "The history could not be read; retry later."}, err)
}
