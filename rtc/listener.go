package rtc

// Listener receives a Cloud's callbacks (TRTCCloudListener). All calls for one
// Cloud happen in order on one goroutine; a callback may call the Cloud's
// methods. Embed BaseListener to implement only what you need.
type Listener interface {
	// OnError reports an unrecoverable error (enter failure, ticket rejected).
	OnError(code int, msg string)
	// OnWarning reports a recoverable condition.
	OnWarning(code int, msg string)
	// OnEnterRoom: result > 0 is the time taken in ms; < 0 is an error code.
	OnEnterRoom(result int64)
	// OnExitRoom: 0 ExitRoom was called, 1 removed by the server, 2 room dismissed.
	OnExitRoom(reason int)
	// OnSwitchRole: code 0 is success.
	OnSwitchRole(code int, msg string)
	// OnRemoteUserEnterRoom: call scenes report everyone, live scenes anchors only.
	OnRemoteUserEnterRoom(userID string)
	// OnRemoteUserLeaveRoom: reason 0 left, 1 timed out, 2 removed, 3 switched to audience.
	OnRemoteUserLeaveRoom(userID string, reason int)
	OnUserVideoAvailable(userID string, available bool)
	OnUserSubStreamAvailable(userID string, available bool)
	OnUserAudioAvailable(userID string, available bool)
	OnFirstVideoFrame(userID string, streamType StreamType, width, height int)
	OnFirstAudioFrame(userID string)
	OnSendFirstLocalVideoFrame(streamType StreamType)
	OnSendFirstLocalAudioFrame()
	OnNetworkQuality(local QualityInfo, remote []QualityInfo)
	OnStatistics(stats Statistics)
	OnUserVoiceVolume(volumes []VolumeInfo, totalVolume int)
	// OnConnectionLost → OnTryToReconnect (each attempt) → OnConnectionRecovery.
	OnConnectionLost()
	OnTryToReconnect()
	OnConnectionRecovery()
	OnRecvCustomCmdMsg(userID string, cmdID int, seq uint32, message []byte)
	OnMissCustomCmdMsg(userID string, cmdID int, errCode int, missed int)
	OnRecvSEIMsg(userID string, message []byte)
	// OnSpeedTestResult reports the result of StartSpeedTest.
	OnSpeedTestResult(result SpeedTestResult)
}

// BaseListener implements Listener with no-ops.
type BaseListener struct{}

func (BaseListener) OnError(int, string)                            {}
func (BaseListener) OnWarning(int, string)                          {}
func (BaseListener) OnEnterRoom(int64)                              {}
func (BaseListener) OnExitRoom(int)                                 {}
func (BaseListener) OnSwitchRole(int, string)                       {}
func (BaseListener) OnRemoteUserEnterRoom(string)                   {}
func (BaseListener) OnRemoteUserLeaveRoom(string, int)              {}
func (BaseListener) OnUserVideoAvailable(string, bool)              {}
func (BaseListener) OnUserSubStreamAvailable(string, bool)          {}
func (BaseListener) OnUserAudioAvailable(string, bool)              {}
func (BaseListener) OnFirstVideoFrame(string, StreamType, int, int) {}
func (BaseListener) OnFirstAudioFrame(string)                       {}
func (BaseListener) OnSendFirstLocalVideoFrame(StreamType)          {}
func (BaseListener) OnSendFirstLocalAudioFrame()                    {}
func (BaseListener) OnNetworkQuality(QualityInfo, []QualityInfo)    {}
func (BaseListener) OnStatistics(Statistics)                        {}
func (BaseListener) OnUserVoiceVolume([]VolumeInfo, int)            {}
func (BaseListener) OnConnectionLost()                              {}
func (BaseListener) OnTryToReconnect()                              {}
func (BaseListener) OnConnectionRecovery()                          {}
func (BaseListener) OnRecvCustomCmdMsg(string, int, uint32, []byte) {}
func (BaseListener) OnMissCustomCmdMsg(string, int, int, int)       {}
func (BaseListener) OnRecvSEIMsg(string, []byte)                    {}
func (BaseListener) OnSpeedTestResult(SpeedTestResult)              {}

var _ Listener = BaseListener{}
