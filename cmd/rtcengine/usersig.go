package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/rtcengine/rtcengine/usersig"
)

func usersigCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("usersig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	appID := fs.Uint("sdkappid", 0, "SDKAppID")
	key := fs.String("key", "", "SDKSecretKey of the app")
	user := fs.String("user", "", "userId")
	expire := fs.Int("expire", 86400, "validity in seconds")
	roomID := fs.Uint("room", 0, "with --privilege: numeric room id of a PrivateMapKey")
	strRoom := fs.String("str-room", "", "with --privilege: string room id of a PrivateMapKey")
	priv := fs.Int("privilege", -1, "print a PrivateMapKey with these privilege bits (255 = all) instead of a UserSig")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *appID == 0 || *appID > 1<<32-1 || *key == "" || *user == "" || *expire <= 0 {
		fmt.Fprintln(stderr, "rtcengine usersig: --sdkappid, --key, --user and a positive --expire are required")
		return 2
	}
	var sig string
	var err error
	switch {
	case *priv >= 0 && *strRoom != "":
		sig, err = usersig.GenPrivateMapKeyWithStringRoomID(uint32(*appID), *key, *user, *expire, *strRoom, uint32(*priv))
	case *priv >= 0:
		sig, err = usersig.GenPrivateMapKey(uint32(*appID), *key, *user, *expire, uint32(*roomID), uint32(*priv))
	default:
		sig, err = usersig.GenUserSig(uint32(*appID), *key, *user, *expire)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rtcengine usersig: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, sig)
	return 0
}
