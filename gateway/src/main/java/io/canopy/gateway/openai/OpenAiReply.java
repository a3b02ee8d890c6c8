package io.canopy.gateway.openai;

/** A response ready to send: an HTTP status and a JSON body. */
public record OpenAiReply(int status, byte[] json) {}
