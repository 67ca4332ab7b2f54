module github.com/wampkit/wampkit

go 1.26.8

require (
	github.com/cenkalti/backoff/v4 v4.3.0
	github.com/gammazero/nexus/v3 v3.3.0
	github.com/gorilla/websocket v1.5.3
	github.com/stretchr/testify v1.11.1
	github.com/ugorji/go/codec v1.3.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/gammazero/deque v1.2.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	golang.org/x/crypto v0.48.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

tool github.com/gammazero/nexus/v3/nexusd
