package dev.stride.decoder.tokenizer;

/**
 * One turn of a chat conversation, as passed to a chat template.
 *
 * @param role "system", "user", "assistant", ...
 * @param content the message text
 */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        if (role == null || content == null) {
            throw new IllegalArgumentException("chat message role and content must be non-null");
        }
    }
}
