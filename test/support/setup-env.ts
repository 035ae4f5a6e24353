// The machine runs Node 20; the AWS SDK's reminder that later releases need Node 22 is noise in
// test output. (The SDK reads this variable before it warns.)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
