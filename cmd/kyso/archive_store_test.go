package main

import (
	"testing"

	"github.com/spf13/cobra"
)

// The object store's address: a flag on the command line wins over the
// environment, which wins over the flag's value from the config file; the
// keys come from the environment only.
func TestS3AccessPrecedence(t *testing.T) {
	access := func(args ...string) (endpoint, region string) {
		var a archiveFlags
		cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		a.addFlags(cmd.Flags())
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		acc := a.s3.access(cmd)
		return acc.Endpoint, acc.Region
	}
	t.Setenv("KYSO_S3_ENDPOINT", "")
	t.Setenv("KYSO_S3_REGION", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	if ep, _ := access(); ep != "" {
		t.Errorf("no setting: %q", ep)
	}
	t.Setenv("KYSO_S3_ENDPOINT", "http://env:1")
	t.Setenv("AWS_REGION", "aws-region")
	if ep, region := access(); ep != "http://env:1" || region != "aws-region" {
		t.Errorf("environment: %q %q", ep, region)
	}
	t.Setenv("KYSO_S3_REGION", "kyso-region")
	if ep, region := access("--s3-endpoint", "http://flag:2"); ep != "http://flag:2" || region != "kyso-region" {
		t.Errorf("flag: %q %q", ep, region)
	}
	// A value from the config file is set without marking the flag changed
	// (applyConfig): the environment wins over it.
	var a archiveFlags
	cmd := &cobra.Command{Use: "x"}
	a.addFlags(cmd.Flags())
	cmd.Flags().Lookup("s3-endpoint").Value.Set("http://config:3")
	if acc := a.s3.access(cmd); acc.Endpoint != "http://env:1" || acc.AccessKey != "AKID" || acc.SecretKey != "SECRET" {
		t.Errorf("config under environment: %+v", acc.Endpoint)
	}
	t.Setenv("KYSO_S3_ENDPOINT", "")
	if acc := a.s3.access(cmd); acc.Endpoint != "http://config:3" {
		t.Errorf("config: %q", acc.Endpoint)
	}
}
