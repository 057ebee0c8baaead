package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rtcengine/rtcengine/internal/bench"
	"github.com/rtcengine/rtcengine/rtc"
)

// benchMessages measures custom-message latency in one room where every
// user sends at TRTC's full rate and receives everyone else.
func benchMessages(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench messages", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int("users", 50, "users in the room, each receiving every other user's messages")
	senders := fs.Int("senders", 0, "users that send (default: all)")
	rate := fs.Int("rate", rtc.MaxCustomMsgsPerSecond, "messages per second per sender (TRTC allows 30)")
	size := fs.Int("size", 64, "bytes per message (10..1000; with 30 msg/s, 266 at most fit 8000 B/s)")
	selfProf := fs.String("loadgen-profile", "", "save the load generator's CPU profile over the window to this file")
	mf := addMediaFlags(fs, 20*time.Second)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *users < 2 || *rate < 1 || *rate > rtc.MaxCustomMsgsPerSecond || *size < 10 || *size > rtc.MaxCustomMsgBytes ||
		*size**rate > rtc.MaxCustomBytesPerSecond || *mf.duration < time.Second {
		fmt.Fprintln(stderr, "bench messages: need --users ≥ 2, --rate 1..30, --size 10..1000 with rate×size ≤ 8000, --duration ≥ 1s")
		return 2
	}
	_, mc, done, err := mf.start(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench messages: %v\n", err)
		return 1
	}
	defer done()
	cfg := bench.MessagesConfig{
		Server: mc.Server, SDKAppID: mc.SDKAppID, Sig: mc.Sig, ServerCPU: mc.ServerCPU,
		Users: *users, Senders: *senders, Rate: *rate, Size: *size, Duration: *mf.duration,
		Room: 400000, Progress: stderr, Profile: mc.Profile,
	}
	if *selfProf != "" {
		f, err := os.Create(*selfProf)
		if err != nil {
			fmt.Fprintf(stderr, "bench messages: %v\n", err)
			return 1
		}
		defer f.Close()
		cfg.SelfProfile = f
	}
	res, err := bench.RunMessages(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "bench messages: %v\n", err)
		return 1
	}
	bench.WriteMessagesTable(stdout, fmt.Sprintf("bench messages: %d users, %d sending %d msg/s of %d bytes, %s window",
		res.Users, res.Senders, res.Rate, res.Size, *mf.duration), []bench.MessagesResult{res})
	if *mf.asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	}
	return 0
}
