package browser

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestDemo: two people open the demo at /, join the same room from its
// form (prefilled by the link), see each other in the grid and chat; the
// test saves a screenshot of the call (to docs/demo.png with
// RTCENGINE_UPDATE_SCREENSHOT=1).
func TestDemo(t *testing.T) {
	s := newServer(t)

	// The page a person opens first: the join form, with the SDK loaded from
	// this server.
	lobby := openPage(t, "lobby", s.URL+"/")
	lobby.Until("the join form", `() => document.querySelector('#join-form') && document.querySelector('#mode-hint').textContent.includes('Development')`, nil)

	alice := openPage(t, "alice", s.URL+"/?room=4999&user=alice&autojoin=1")
	bob := openPage(t, "bob", s.URL+"/?room=4999&user=bob&autojoin=1")
	for _, p := range []struct {
		page  *Page
		other string
	}{{alice, "bob"}, {bob, "alice"}} {
		p.page.Until(p.other+"'s video in the grid", `(u) => {
			const v = document.querySelector('.tile[data-user="' + u + '"] video');
			return v && v.readyState >= 2 && v.videoWidth > 0 && !v.paused;
		}`, p.other)
		p.page.Until("own video in the grid", `() => {
			const v = document.querySelector('.tile[data-local="1"] video');
			return v && v.readyState >= 2 && v.videoWidth > 0;
		}`, nil)
	}
	alice.Until("two people", `() => document.querySelector('#people-count').textContent === '2 people'`, nil)

	// Chat: alice types a message; bob sees it with her name.
	alice.Eval(`() => {
		document.querySelector('#btn-chat').click();
		document.querySelector('#chat-input').value = 'Hi Bob! Can you see my screen?';
		document.querySelector('#chat-form').requestSubmit();
	}`, nil)
	bob.Until("alice's message", `() => [...document.querySelectorAll('#messages li')].some(li => li.textContent.includes('alice') && li.textContent.includes('Hi Bob!'))`, nil)
	bob.Until("the unread badge", `() => document.querySelector('#unread').textContent === '1'`, nil)
	bob.Eval(`() => {
		document.querySelector('#btn-chat').click();
		document.querySelector('#chat-input').value = 'Loud and clear!';
		document.querySelector('#chat-form').requestSubmit();
	}`, nil)
	alice.Until("bob's reply", `() => [...document.querySelectorAll('#messages li')].some(li => li.textContent.includes('Loud and clear'))`, nil)

	// Mute toggles reach the other side: bob's tile shows alice muted.
	alice.Eval(`() => document.querySelector('#btn-mic').click()`, nil)
	bob.Until("alice shown muted", `() => !document.querySelector('.tile[data-user="alice"] .mic-off').hidden`, nil)
	alice.Eval(`() => document.querySelector('#btn-mic').click()`, nil)
	bob.Until("alice shown unmuted", `() => document.querySelector('.tile[data-user="alice"] .mic-off').hidden`, nil)

	// Network quality bars appear once statistics have run.
	alice.Until("quality bars", `() => Number(document.querySelector('.tile[data-local="1"] .quality').dataset.level) > 0`, nil)

	// The screenshot goes to the test's temporary folder; with
	// RTCENGINE_UPDATE_SCREENSHOT=1 it replaces docs/demo.png (the README's).
	path := filepath.Join(t.TempDir(), "demo.png")
	if os.Getenv("RTCENGINE_UPDATE_SCREENSHOT") == "1" {
		path = filepath.Join(repoRoot(), "docs", "demo.png")
	}
	alice.Screenshot(path, 1280, 720)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 720 {
		t.Fatalf("screenshot is %v", b)
	}

	// Leave: bob's grid loses alice's tile.
	alice.Eval(`() => document.querySelector('#btn-leave').click()`, nil)
	bob.Until("alice's tile gone", `() => !document.querySelector('.tile[data-user="alice"]')`, nil)
	alice.Until("back in the lobby", `() => !document.querySelector('#lobby').hidden`, nil)
}
