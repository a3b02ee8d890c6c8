package io.canopy.compute.llm;

import java.util.List;

/**
 * Turns chat messages into a prompt for the common chat formats. A GGUF's
 * {@code tokenizer.chat_template} is a Jinja program; rather than run Jinja, the format is
 * recognised by its markers, as llama.cpp's {@code llm_chat_detect_template} does, and rendered by
 * fixed code. Unknown or missing templates fall back to ChatML. The rendered text holds special
 * tokens as text: encode it with {@code parseSpecial = true}; BOS comes from the tokenizer.
 */
public final class ChatTemplate {
  public enum Format { CHATML, LLAMA2, LLAMA3, ZEPHYR }

  private final Format format;
  // llama-2 variants, from markers in the Jinja source
  private final boolean llama2SystemBlock;
  private final boolean llama2BosInHistory;
  private final boolean llama2Strip;

  private ChatTemplate(Format format, boolean sys, boolean bos, boolean strip) {
    this.format = format;
    this.llama2SystemBlock = sys;
    this.llama2BosInHistory = bos;
    this.llama2Strip = strip;
  }

  public static ChatTemplate of(Format format) {
    return new ChatTemplate(format, format == Format.LLAMA2, format == Format.LLAMA2, false);
  }

  /** Recognises a Jinja chat template; {@code null} or unrecognised gives ChatML. */
  public static ChatTemplate detect(String jinja) {
    if (jinja == null) {
      return of(Format.CHATML);
    }
    if (jinja.contains("<|im_start|>")) {
      return of(Format.CHATML);
    }
    if (jinja.contains("<|start_header_id|>") && jinja.contains("<|end_header_id|>")) {
      return of(Format.LLAMA3);
    }
    if (jinja.contains("[INST]")) {
      return new ChatTemplate(Format.LLAMA2, jinja.contains("<<SYS>>"),
          jinja.contains("bos_token + '[INST]") || jinja.contains("bos_token + \"[INST]"),
          jinja.contains("content.strip()"));
    }
    if (jinja.contains("<|user|>") && jinja.contains("<|assistant|>")) {
      return of(Format.ZEPHYR);
    }
    return of(Format.CHATML);
  }

  public Format format() {
    return format;
  }

  /**
   * The prompt text; with {@code addAssistantPrefix} it ends where the assistant's reply begins.
   * (llama-2 needs no prefix: its user turn already ends with {@code [/INST]}.)
   */
  public String render(List<ChatMessage> messages, boolean addAssistantPrefix) {
    StringBuilder sb = new StringBuilder();
    switch (format) {
      case CHATML -> {
        for (ChatMessage m : messages) {
          sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        if (addAssistantPrefix) {
          sb.append("<|im_start|>assistant\n");
        }
      }
      case LLAMA3 -> {
        for (ChatMessage m : messages) {
          sb.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
              .append(m.content().strip()).append("<|eot_id|>");
        }
        if (addAssistantPrefix) {
          sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
      }
      case ZEPHYR -> {
        for (ChatMessage m : messages) {
          sb.append("<|").append(m.role()).append("|>\n").append(m.content()).append("</s>\n");
        }
        if (addAssistantPrefix) {
          sb.append("<|assistant|>\n");
        }
      }
      case LLAMA2 -> {
        // BOS at the very start comes from the tokenizer; later turns may repeat it.
        boolean insideTurn = true;
        sb.append("[INST] ");
        for (ChatMessage m : messages) {
          String content = llama2Strip ? m.content().strip() : m.content();
          if (!insideTurn) {
            insideTurn = true;
            sb.append(llama2BosInHistory ? "<s>[INST] " : "[INST] ");
          }
          switch (m.role()) {
            case "system" -> sb.append(llama2SystemBlock ? "<<SYS>>\n" + content + "\n<</SYS>>\n\n" : content + "\n");
            case "user" -> sb.append(content).append(" [/INST]");
            default -> {
              sb.append(content).append("</s>");
              insideTurn = false;
            }
          }
        }
      }
      default -> throw new AssertionError(format);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "ChatTemplate[" + format + "]";
  }
}
