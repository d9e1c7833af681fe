package voice

const sysSetns uintptr = 268 // setns(2) on linux/arm64
