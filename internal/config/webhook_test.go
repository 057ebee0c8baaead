package config

import (
	"errors"
	"testing"
	"time"
)

func TestSampleWebhookIsTheDefault(t *testing.T) {
	c, err := Load([]string{"--config", samplePath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Webhook != DefaultWebhook() {
		t.Fatalf("sample webhook %+v, defaults %+v", c.Webhook, DefaultWebhook())
	}
}

func TestWebhookFromFile(t *testing.T) {
	file := writeFile(t, `
apps:
  - sdkappid: 1400000011
    sdk_secret: s
    webhook_url: http://127.0.0.1:9000/hook
webhook:
  retry_interval: 50ms
  retry_window: 1h
`)
	c, err := Load([]string{"--config", file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultWebhook()
	want.RetryInterval, want.RetryWindow = 50*time.Millisecond, time.Hour
	if c.Webhook != want {
		t.Fatalf("webhook = %+v, want %+v", c.Webhook, want)
	}
}

func TestValidateWebhook(t *testing.T) {
	tests := []struct {
		name  string
		set   func(*Webhook)
		field string
	}{
		{"zero timeout", func(w *Webhook) { w.Timeout = 0 }, "webhook.timeout"},
		{"timeout above a minute", func(w *Webhook) { w.Timeout = 2 * time.Minute }, "webhook.timeout"},
		{"negative interval", func(w *Webhook) { w.RetryInterval = -time.Second }, "webhook.retry_interval"},
		{"interval above an hour", func(w *Webhook) { w.RetryInterval = 2 * time.Hour }, "webhook.retry_interval"},
		{"zero window", func(w *Webhook) { w.RetryWindow = 0 }, "webhook.retry_window"},
		{"window above a week", func(w *Webhook) { w.RetryWindow = 200 * time.Hour }, "webhook.retry_window"},
		{"zero pending", func(w *Webhook) { w.MaxPending = 0 }, "webhook.max_pending"},
		{"too many pending", func(w *Webhook) { w.MaxPending = 20000000 }, "webhook.max_pending"},
		{"fine", func(w *Webhook) { w.RetryInterval, w.RetryWindow = time.Millisecond, 7*24*time.Hour }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.set(&c.Webhook)
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate = %v, want a FieldError for %s", err, tt.field)
			}
		})
	}
}
