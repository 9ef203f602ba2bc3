package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.Map;

/**
 * A filter that takes Jinja2's keyword arguments as well as positional ones. Jinjava calls the keyword overload,
 * whose default passes everything to the positional one; here the positional one passes no keywords to it instead,
 * and a filter implements the keyword overload alone.
 */
interface KeywordFilter extends Filter {

    @Override
    default Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        return filter(value, interpreter, args, Map.of());
    }

    @Override
    Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs);
}
