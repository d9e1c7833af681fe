package voice

const sysSetns uintptr = 308 // setns(2) on linux/amd64
