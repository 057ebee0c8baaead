package usersig_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/rtcengine/rtcengine/usersig"
)

// An application server issues a UserSig for each user; the user passes it to
// enterRoom together with the SDKAppID and user id.
func ExampleGenUserSig() {
	const (
		sdkAppID  = 1400000001
		secretKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e" // the SDKSecretKey, never sent to clients
	)
	sig, err := usersig.GenUserSig(sdkAppID, secretKey, "alice", 86400)
	if err != nil {
		panic(err)
	}

	// The server checks it:
	fmt.Println(usersig.VerifyUserSig(sdkAppID, secretKey, "alice", sig, time.Now()))
	err = usersig.VerifyUserSig(sdkAppID, secretKey, "mallory", sig, time.Now())
	fmt.Println(errors.Is(err, usersig.ErrIdentifierMismatch))
	err = usersig.VerifyUserSig(sdkAppID, secretKey, "alice", sig, time.Now().Add(25*time.Hour))
	fmt.Println(errors.Is(err, usersig.ErrExpired))
	// Output:
	// <nil>
	// true
	// true
}

// A PrivateMapKey restricts a user to one room and a set of privileges; it
// is required by applications with advanced permission control.
func ExampleGenPrivateMapKey() {
	const sdkAppID, secretKey = 1400000001, "app-secret"
	key, err := usersig.GenPrivateMapKey(sdkAppID, secretKey, "bob", 3600, 1234,
		usersig.PrivEnterRoom|usersig.PrivRecvAudio|usersig.PrivRecvVideo)
	if err != nil {
		panic(err)
	}

	p, err := usersig.ParsePrivateMapKey(sdkAppID, secretKey, "bob", key, time.Now())
	if err != nil {
		panic(err)
	}
	fmt.Println(p.MatchesRoom(1234, ""), p.MatchesRoom(0, "1234"))
	fmt.Println(p.Allows(usersig.PrivEnterRoom), p.Allows(usersig.PrivSendVideo))
	// Output:
	// true false
	// true false
}

// Decode shows what a ticket carries, without checking it.
func ExampleDecode() {
	t, err := usersig.Decode("eAEAqQBW-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6ODY0MDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMuc2lnIjoiU05GNEZtVkNQdWNvWHNCT3BiVkYzZkZDZjU3SlBtMGV6WjFqZVZJTGxWYz0ifQoBAAD--1oJMXo_")
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Identifier, t.SDKAppID, t.ExpiresAt().Format(time.RFC3339))
	// Output: xiaojun 1400000000 2023-11-15T22:13:20Z
}
