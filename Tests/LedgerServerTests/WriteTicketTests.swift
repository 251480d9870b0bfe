import LedgerPersistence
@testable import LedgerServer
import NIOCore
import NIOEmbedded
import Testing

/// The writer hands a transfer's outcome straight to the connection's event loop.
@Suite("Write tickets")
struct WriteTicketTests {
    struct Refused: Error {}

    @Test("an outcome awaited by an event loop is delivered on that loop, once, when the writer completes")
    func deliveredOnTheLoop() throws {
        let loop = EmbeddedEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let ticket = WriteTicket()
        let record = NIOLoopBound(Box(), eventLoop: loop)
        ticket.onComplete(on: loop) { outcome in
            if case .failure(let error) = outcome { record.value.outcomes.append(error is Refused) }
        }
        loop.run()
        #expect(record.value.outcomes.isEmpty, "nothing is delivered before the writer completes")
        WriteTicket.complete([(ticket, .failure(Refused()))])
        #expect(record.value.outcomes.isEmpty, "the writer only queues the delivery on the loop")
        loop.run()
        #expect(record.value.outcomes == [true])
        WriteTicket.complete([(ticket, .failure(Refused()))])
        loop.run()
        #expect(record.value.outcomes == [true], "a ticket is completed once")
    }

    @Test("an outcome the writer already has is still delivered on the loop")
    func alreadyComplete() throws {
        let loop = EmbeddedEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let ticket = WriteTicket()
        WriteTicket.complete([(ticket, .failure(Refused()))])
        let record = NIOLoopBound(Box(), eventLoop: loop)
        ticket.onComplete(on: loop) { outcome in
            if case .failure(let error) = outcome { record.value.outcomes.append(error is Refused) }
        }
        #expect(record.value.outcomes.isEmpty, "not run inline, where the caller may be mid-update")
        loop.run()
        #expect(record.value.outcomes == [true])
    }

    @Test("a batch's outcomes reach each waiting loop in batch order, and a task gets its own")
    func batchInOrder() async throws {
        let first = EmbeddedEventLoop(), second = EmbeddedEventLoop()
        let tickets = (0..<5).map { _ in WriteTicket() }
        let onFirst = NIOLoopBound(Order(), eventLoop: first), onSecond = NIOLoopBound(Order(), eventLoop: second)
        for index in [0, 2, 3] {
            tickets[index].onComplete(on: first) { outcome in if case .failure(let error as Numbered) = outcome { onFirst.value.seen.append(error.number) } }
        }
        tickets[1].onComplete(on: second) { outcome in if case .failure(let error as Numbered) = outcome { onSecond.value.seen.append(error.number) } }
        WriteTicket.complete(tickets.enumerated().map { ($1, .failure(Numbered(number: $0))) })
        first.run()
        second.run()
        #expect(onFirst.value.seen == [0, 2, 3])
        #expect(onSecond.value.seen == [1])
        if case .failure(let error as Numbered) = await tickets[4].result { #expect(error.number == 4) } else { Issue.record("the task got no outcome") }
    }

    struct Numbered: Error { let number: Int }

    final class Order {
        var seen: [Int] = []
    }

    final class Box {
        var outcomes: [Bool] = []
    }
}
